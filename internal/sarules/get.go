package sarules

import (
	"io"
	"mime"
	"net/mail"
	"strings"
)

// get returns the value header rules match for a header request, as
// PerMsgStatus::get does: "Name" (every field of that name, decoded, one
// per line), "Name:raw", "Name:addr", "Name:name", "ALL", "ALL:raw",
// "ToCc", "MESSAGEID", "EnvelopeFrom". ok is false when nothing matched.
func (p *pms) get(req string) *subjectText {
	if id, ok := p.rs.getIDs[req]; ok {
		return p.getAt(id)
	}
	if t, ok := p.gets[req]; ok {
		return t
	}
	t := p.newGet(req)
	p.gets[req] = t
	return t
}

// getAt is get for the request of id (Ruleset.getReqs).
func (p *pms) getAt(id int32) *subjectText {
	t := p.getByID[id]
	if t == nil {
		t = p.newGet(p.rs.getReqs[id])
		p.getByID[id] = t
	}
	return t
}

func (p *pms) newGet(req string) *subjectText {
	vals := p.getList(req)
	var t *subjectText
	if len(vals) == 0 {
		t = &subjectText{}
	} else {
		sep := "\n"
		if strings.HasSuffix(vals[0], "\n") {
			sep = ""
		}
		t = newSubject(strings.Join(vals, sep))
	}
	return t
}

func (p *pms) getList(req string) []string {
	name := req
	var raw, addr, dname bool
	if i := strings.IndexByte(req, ':'); i >= 0 {
		name = req[:i]
		for _, mod := range strings.Split(req[i+1:], ":") {
			switch mod {
			case "raw":
				raw = true
			case "addr":
				addr = true
			case "name":
				dname = true
			}
		}
	}
	h := p.m.Header
	var vals []string
	switch {
	case name == "ALL":
		for _, f := range h {
			if raw {
				vals = append(vals, f.Name+":"+f.Raw)
			} else {
				vals = append(vals, f.Name+": "+f.Value+"\n")
			}
		}
		return vals
	case name == "ALL-TRUSTED":
		return p.headersByRcvdIndex(-2, p.relays().lastTrustedIdx+1)
	case name == "ALL-INTERNAL":
		return p.headersByRcvdIndex(-2, p.relays().lastInternalIdx+1)
	case name == "ALL-UNTRUSTED":
		return p.headersByRcvdIndex(p.relays().lastTrustedIdx+1, -2)
	case name == "ALL-EXTERNAL":
		return p.headersByRcvdIndex(p.relays().lastInternalIdx+1, -2)
	case strings.EqualFold(name, "EnvelopeFrom"):
		if ef := p.envelopeFrom(); ef != "" {
			vals = append(vals, ef)
		}
	case strings.EqualFold(name, "ToCc"):
		vals = append(headerValues(h, "To", raw || addr || dname), headerValues(h, "Cc", raw || addr || dname)...)
	case name == "MESSAGEID":
		for _, n := range []string{"X-Message-Id", "Resent-Message-Id", "X-Original-Message-ID", "Message-Id"} {
			for _, v := range headerValues(h, n, raw) {
				if v != "" {
					vals = append(vals, v)
				}
			}
		}
	default:
		vals = headerValues(h, name, raw || addr || dname)
		if len(vals) == 0 {
			if v, ok := p.relayPseudoHeader(name); ok {
				vals = []string{v}
			}
		}
	}
	if addr || dname {
		var out []string
		for _, v := range vals {
			out = append(out, parseAddrs(v, addr)...)
		}
		return out
	}
	return vals
}

// addrParser decodes the encoded words of display names in any charset
// the rule engine knows (toUTF8), as SpamAssassin decodes a phrase's
// mimewords: net/mail alone knows UTF-8 and Latin-1 only, and failed the
// whole field on "=?Big5?B?...?= <a@b>".
var addrParser = &mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		return strings.NewReader(toUTF8(charset, b)), nil
	},
}}

// parseAddrs returns the addresses (addr) or display names of a header
// value; a value that does not parse yields its best-effort address.
func parseAddrs(v string, addr bool) []string {
	v = strings.TrimSpace(v)
	list, err := addrParser.ParseList(v)
	if err != nil {
		if !addr {
			return nil
		}
		// each comma-separated element on its own, loosely if need be
		var out []string
		for _, part := range splitTopLevel(v) {
			if a, err := addrParser.Parse(part); err == nil {
				out = append(out, a.Address)
			} else if a := looseAddr(part); a != "" && saMailRe.MatchString(a) {
				out = append(out, a)
			}
		}
		return out
	}
	var out []string
	for _, a := range list {
		if addr {
			out = append(out, a.Address)
		} else if a.Name != "" {
			out = append(out, decodeRFC2047(a.Name))
		}
	}
	return out
}

// splitTopLevel splits an address list at the commas outside quotes,
// angle brackets and comments, dropping empty elements.
func splitTopLevel(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) {
			switch c := v[i]; {
			case c == '\\' && quoted:
				i++
				continue
			case c == '"':
				quoted = !quoted
				continue
			case quoted:
				continue
			case c == '<' || c == '(':
				depth++
				continue
			case (c == '>' || c == ')') && depth > 0:
				depth--
				continue
			case c != ',' || depth > 0:
				continue
			}
		}
		if part := strings.TrimSpace(v[start:min(i, len(v))]); part != "" {
			out = append(out, part)
		}
		start = i + 1
	}
	return out
}

// looseAddr finds something like an address: <...> content or the first
// word with an @.
func looseAddr(v string) string {
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	for _, w := range strings.Fields(v) {
		if strings.Contains(w, "@") {
			return strings.Trim(w, "<>,;\"'()")
		}
	}
	return ""
}

// envelopeFrom is PerMsgStatus::get_envelope_from: the SMTP MAIL FROM
// when known, else the envelope-from of the last untrusted relay, else
// X-Envelope-From, Envelope-Sender or Return-Path unless a Received header
// comes before it (then it was not added at delivery).
func (p *pms) envelopeFrom() string {
	if p.m.EnvelopeFrom != "" {
		return p.m.EnvelopeFrom
	}
	ri := p.relays()
	var last *relay
	if len(ri.untrusted) > 0 {
		last = ri.untrusted[0]
	} else if len(ri.trusted) > 0 {
		last = ri.trusted[len(ri.trusted)-1]
	}
	if last != nil && last.hasEnvfrom && (strings.Index(last.envfrom, "@") > 0 || last.envfrom == "") {
		return last.envfrom
	}
	if xs := p.firstAddr("X-Sender"); strings.Contains(xs, "@") {
		for _, v := range headerValues(p.m.Header, "Received", false) {
			if strings.Contains(v, "(fetchmail") {
				return ""
			}
		}
	}
	for _, n := range []string{"X-Envelope-From", "Envelope-Sender", "Return-Path"} {
		if len(headerValues(p.m.Header, n, true)) == 0 {
			continue
		}
		if p.receivedBefore(n) {
			if n == "X-Envelope-From" {
				return ""
			}
			continue
		}
		return p.firstAddr(n)
	}
	return ""
}

func (p *pms) firstAddr(name string) string {
	v := headerValues(p.m.Header, name, true)
	if len(v) == 0 {
		return ""
	}
	a := parseAddrs(v[0], true)
	if len(a) == 0 {
		return ""
	}
	return a[0]
}

// receivedBefore reports whether a Received field precedes some field
// named name (SpamAssassin's /^Received:.*?^Name:/smi over the header).
func (p *pms) receivedBefore(name string) bool {
	seen := false
	for _, f := range p.m.Header {
		if strings.EqualFold(f.Name, "Received") {
			seen = true
		}
		if seen && strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}
