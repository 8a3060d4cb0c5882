package mime

import (
	"strings"
	"unicode/utf8"
)

// maxFieldBytes caps one unfolded header field. RFC 5322 2.1.1 limits a
// line to 998 octets, but folding makes fields unbounded; 64 KiB is far
// above any legitimate field (long To lists, DKIM signatures).
const maxFieldBytes = 64 << 10

// Get returns the decoded value of the first field called name, "" if none.
func (h Header) Get(name string) string {
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			return h[i].Value
		}
	}
	return ""
}

// Values returns the decoded values of every field called name.
func (h Header) Values(name string) []string {
	var out []string
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			out = append(out, h[i].Value)
		}
	}
	return out
}

// RawValue returns the raw (undecoded, unfolded) value of the first field
// called name, "" if none.
func (h Header) RawValue(name string) string {
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			return h[i].Raw
		}
	}
	return ""
}

// Count returns how many fields are called name.
func (h Header) Count(name string) int {
	n := 0
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			n++
		}
	}
	return n
}

// has reports whether a field called name exists.
func (h Header) has(name string) bool {
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			return true
		}
	}
	return false
}

func hasContentFields(h Header) bool {
	for i := range h {
		if len(h[i].Name) > 8 && strings.EqualFold(h[i].Name[:8], "content-") {
			return true
		}
	}
	return false
}

// field returns the raw value of the field the parser's reading uses: the
// first one, or the last one in the lenient reading.
func (p *parser) field(h Header, name string) string {
	if !p.lenient {
		return h.RawValue(name)
	}
	for i := len(h) - 1; i >= 0; i-- {
		if strings.EqualFold(h[i].Name, name) {
			return h[i].Raw
		}
	}
	return ""
}

// interpret fills the MIME fields of pt from its header.
func (p *parser) interpret(pt *Part, defaultType string) {
	h := pt.Header
	if h.Count("Content-Type") > 1 {
		p.msg.flag(FlagDuplicateContentType)
	}
	if h.Count("Content-Transfer-Encoding") > 1 {
		p.msg.flag(FlagDuplicateTransferEncoding)
	}
	pt.MediaType = defaultType
	if ct := h.has("Content-Type"); ct {
		mt, params, dup := parseMediaHeader(p.field(h, "Content-Type"), p.lenient)
		if dup.boundary {
			p.msg.flag(FlagDuplicateBoundary)
		}
		if dup.any {
			p.msg.flag(FlagDuplicateParam)
		}
		if i := strings.IndexByte(mt, '/'); i > 0 && i < len(mt)-1 {
			pt.MediaType = mt
			pt.Params = params
		} else {
			// RFC 2045 5.2: an invalid Content-Type means text/plain.
			p.msg.flag(FlagBadContentType)
			pt.MediaType = "text/plain"
		}
	}
	pt.Charset = strings.ToLower(strings.TrimSpace(pt.Params["charset"]))
	if pt.Charset != "" && p.msg.HasFlag(Flag8BitHeader) {
		redecode8Bit(h, pt.Charset)
	}
	pt.Encoding = strings.ToLower(strings.TrimSpace(p.field(h, "Content-Transfer-Encoding")))
	if cd := p.field(h, "Content-Disposition"); cd != "" {
		disp, params, dup := parseMediaHeader(cd, p.lenient)
		if dup.any {
			p.msg.flag(FlagDuplicateParam)
		}
		pt.Disposition = disp
		pt.Filename = params["filename"]
	}
	if pt.Filename == "" {
		pt.Filename = pt.Params["name"]
	}
	if strings.Contains(pt.Filename, "=?") { // QUIRK: RFC 2047 in a parameter, against RFC 2047 5(3)
		pt.Filename = DecodeHeader(pt.Filename)
	}
}

func isMessageType(mt string) bool {
	return mt == "message/rfc822" || mt == "message/global"
}

// isIdentity reports whether a transfer encoding leaves the body as is
// (RFC 2045 6.4: composite types allow only these).
func isIdentity(enc string) bool {
	return enc == "" || enc == "7bit" || enc == "8bit" || enc == "binary"
}

// redecode8Bit decodes the fields with raw 8-bit bytes that are not UTF-8
// again, in the entity's charset instead of windows-1252.
func redecode8Bit(h Header, charset string) {
	for i := range h {
		raw := h[i].Raw
		if !isASCII([]byte(raw)) && !utf8.ValidString(raw) {
			h[i].Value = decodeValue(raw, charset)
		}
	}
}
