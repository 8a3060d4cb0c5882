package sarules

import (
	"bytes"
	"encoding/base64"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// # MIME walk
//
// A minimal RFC 2045/2046 walk, enough for SpamAssassin's views: multipart
// bodies are split on their boundary lines, message/rfc822 parts are
// walked as messages, every other part is a leaf decoded from base64 or
// quoted-printable. Depth and part count are bounded.

type walker struct {
	m     *Message
	parts int
}

// contentType parses a Content-Type value into a lower-case media type and
// parameters (lower-case names).
func contentType(v string) (string, map[string]string) {
	params := map[string]string{}
	mt, rest, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	for rest != "" {
		var item string
		item, rest = cutParam(rest)
		k, val, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' {
			if end := strings.IndexByte(val[1:], '"'); end >= 0 {
				val = val[1 : 1+end]
			}
		}
		if _, dup := params[k]; !dup {
			params[k] = val
		}
	}
	return mt, params
}

// cutParam cuts one ;-separated parameter, honouring quotes.
func cutParam(s string) (string, string) {
	inq := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inq = !inq
		case ';':
			if !inq {
				return s[:i], s[i+1:]
			}
		}
	}
	return s, ""
}

func (w *walker) walk(hdr []Field, body []byte, depth int) {
	w.parts++
	if w.parts > maxParts || depth > maxDepth {
		return
	}
	ctv := lastValue(hdr, "content-type")
	mt, params := contentType(ctv)
	if mt == "" || !strings.Contains(mt, "/") {
		mt = "text/plain"
	}
	enc := strings.ToLower(strings.TrimSpace(lastValue(hdr, "content-transfer-encoding")))
	w.m.nodes = append(w.m.nodes, &Part{Header: hdr, MediaType: mt, Charset: strings.ToLower(params["charset"]), Encoding: enc, depth: depth})
	switch {
	case strings.HasPrefix(mt, "multipart/") && params["boundary"] != "":
		parts, closed, epilogue := splitMultipart(body, params["boundary"])
		if !closed {
			w.m.flags["mime_missing_boundary"] = true
		}
		if epilogue {
			w.m.flags["mime_epilogue_exists"] = true
		}
		if len(parts) == 0 {
			// no opening boundary line: Message.pm keeps the whole body as
			// one part (its header, if it starts with one, then the rest)
			h, b, _ := splitHeader(body)
			w.walk(parseFields(h), b, depth+1)
			return
		}
		for _, p := range parts {
			if !isFieldStart(firstLine(p)) {
				w.m.flags["missing_mime_headers"] = true
			}
			h, b, _ := splitHeader(p)
			w.walk(parseFields(h), b, depth+1)
		}
		return
	case mt == "message/rfc822" && enc != "base64" && enc != "quoted-printable":
		h, b, _ := splitHeader(body)
		w.walk(parseFields(h), b, depth+1)
		return
	}
	p := &Part{Header: hdr, MediaType: mt, Charset: strings.ToLower(params["charset"]), Encoding: enc, Raw: body, depth: depth}
	p.Filename = params["name"]
	if _, dp := contentType(lastValue(hdr, "content-disposition")); dp["filename"] != "" {
		p.Filename = dp["filename"]
	}
	p.Decoded = decodeBody(enc, mt, body)
	w.m.nodes[len(w.m.nodes)-1] = p
	p.leaf = true
	w.m.Parts = append(w.m.Parts, p)
}

func lastValue(hdr []Field, name string) string {
	v := ""
	for _, f := range hdr {
		if strings.EqualFold(f.Name, name) {
			v = f.Value
		}
	}
	return v
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// splitMultipart returns the bodies between boundary lines (RFC 2046
// 5.1.1), whether the closing boundary was found, and whether text other
// than blanks and dots follows it (an epilogue).
func splitMultipart(body []byte, boundary string) (parts [][]byte, closed, epilogue bool) {
	delim := []byte("--" + boundary)
	start := -1
	pos := 0
	for pos <= len(body) {
		end := bytes.IndexByte(body[pos:], '\n')
		lineEnd := len(body)
		if end >= 0 {
			lineEnd = pos + end
		}
		line := body[pos:lineEnd]
		if bytes.HasPrefix(line, delim) {
			rest := bytes.TrimRight(line[len(delim):], " \t\r")
			closing := bytes.Equal(rest, []byte("--"))
			if len(rest) == 0 || closing {
				if start >= 0 {
					e := pos
					if e > start && body[e-1] == '\n' {
						e-- // the newline before a boundary belongs to it
					}
					parts = append(parts, body[start:max(e, start)])
				}
				if closing {
					rest := body[min(lineEnd+1, len(body)):]
					epilogue = len(bytes.Trim(rest, " \t\r\n\f\v.")) > 0
					return parts, true, epilogue
				}
				start = lineEnd + 1
			}
		}
		if end < 0 {
			break
		}
		pos = lineEnd + 1
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:])
	}
	return parts, false, false
}

// decodeBody undoes a part's transfer encoding as Node::decode does:
// quoted-printable, and base64 for text/* and message/* parts, also turn
// CRLF into LF.
func decodeBody(enc, mediaType string, body []byte) []byte {
	switch enc {
	case "base64":
		b := decodeBase64(body)
		if strings.HasPrefix(mediaType, "text/") || strings.HasPrefix(mediaType, "message/") {
			b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		}
		return b
	case "quoted-printable":
		return bytes.ReplaceAll(decodeQP(body), []byte("\r\n"), []byte("\n"))
	}
	return body
}

// decodeBase64 decodes leniently: characters outside the alphabet are
// skipped, as SpamAssassin's base64_decode does.
func decodeBase64(b []byte) []byte {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' {
			clean = append(clean, c)
		}
	}
	clean = clean[:len(clean)/4*4+min(len(clean)%4, 3)]
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out, err := base64.RawStdEncoding.DecodeString(string(clean))
	if err != nil {
		return out
	}
	return out
}

// decodeQP decodes quoted-printable (RFC 2045 6.7) leniently.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+2 < len(b)+0 && i+2 <= len(b)-1 && isHex(b[i+1]) && isHex(b[i+2]) {
			out = append(out, byte(hexVal(b[i+1])<<4|hexVal(b[i+2])))
			i += 2
			continue
		}
		// soft line break: "=" then optional blanks then newline
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r') {
			j++
		}
		if j < len(b) && b[j] == '\n' {
			i = j
			continue
		}
		if j == len(b) {
			i = j
			continue
		}
		out = append(out, c)
	}
	return out
}

// decodeRFC2047 decodes encoded-words (RFC 2047), keeping the charset's
// octets (SpamAssassin without normalize_charset), and drops whitespace
// between adjacent encoded-words (RFC 2047 6.2).
func decodeRFC2047(s string) string {
	var b strings.Builder
	lastEnc := false
	pending := ""
	for len(s) > 0 {
		i := strings.Index(s, "=?")
		if i < 0 {
			b.WriteString(pending + s)
			break
		}
		text := s[:i]
		word, rest, ok := parseEncodedWord(s[i:])
		if !ok {
			b.WriteString(pending + s[:i+2])
			pending = ""
			s = s[i+2:]
			lastEnc = false
			continue
		}
		if lastEnc && strings.TrimSpace(text) == "" {
			text = ""
		}
		b.WriteString(pending + text + word)
		pending = ""
		s = rest
		lastEnc = true
	}
	return b.String()
}

func parseEncodedWord(s string) (string, string, bool) {
	// =?charset?e?text?=
	p := strings.SplitN(s[2:], "?", 3)
	if len(p) < 3 || len(p[1]) != 1 {
		return "", "", false
	}
	end := strings.Index(p[2], "?=")
	if end < 0 {
		return "", "", false
	}
	text := p[2][:end]
	rest := p[2][end+2:]
	var raw []byte
	switch p[1] {
	case "b", "B":
		raw = decodeBase64([]byte(text))
	case "q", "Q":
		raw = decodeQP([]byte(strings.ReplaceAll(text, "_", " ")))
	default:
		return "", "", false
	}
	return toUTF8(p[0], raw), rest, true
}

// toUTF8 converts text in charset cs to UTF-8, as SpamAssassin does for
// encoded-words (EUC-KR, ISO-2022-JP, windows-1251, ...). An unknown
// charset or undecodable text keeps its octets.
func toUTF8(cs string, b []byte) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	if i := strings.IndexByte(cs, '*'); i >= 0 { // RFC 2231 language suffix
		cs = cs[:i]
	}
	switch cs {
	case "", "us-ascii", "utf-8", "utf8":
		return string(b)
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return string(b)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(out)
}
