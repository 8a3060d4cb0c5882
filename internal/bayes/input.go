package bayes

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"regexp"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// Limits of InputFromRaw's MIME walk; a hostile message cannot make it
// recurse or allocate without bound.
const (
	maxDepth     = 20
	maxParts     = 1000
	maxTextBytes = 1 << 20 // decoded text kept per part
)

// InputFromRaw builds an Input from a raw RFC 5322 message (an mbox "From "
// line first is skipped) with a small self-contained MIME walk: text/plain
// parts as they are, text/html parts rendered to text, both decoded from
// their transfer encoding and charset; the Subject opens the body, as in
// SpamAssassin. MsgID is SpamAssassin's generated id: the SHA-1 of To, Date
// and the body, "@sa_generated".
func InputFromRaw(raw []byte) Input {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	hdr, body := splitHeader(raw)
	var in Input
	in.Headers = hdr
	w := &walker{}
	w.entity(hdr, body, 0)
	subject := headerValue(hdr, "Subject")
	in.Body = subject + "\n\n" + strings.Join(w.text, "\n\n")
	in.URIs = w.uris
	sum := sha1.Sum(body)
	id := sha1.Sum([]byte(headerValue(hdr, "To") + "\x00" + headerValue(hdr, "Date") + "\x00" + hex.EncodeToString(sum[:])))
	in.MsgID = hex.EncodeToString(id[:]) + "@sa_generated"
	return in
}

// splitHeader parses the header block (unfolding continuation lines and
// decoding RFC 2047 words) and returns it with the body that follows.
func splitHeader(raw []byte) ([]Field, []byte) {
	hs, body := headerLines(raw)
	for i := range hs {
		hs[i].Value = decodeWords(hs[i].Value)
	}
	return hs, body
}

// headerLines splits raw at the end of its header block, unfolding lines.
func headerLines(raw []byte) ([]Field, []byte) {
	var hs []Field
	rest := raw
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		line := rest
		next := []byte(nil)
		if i >= 0 {
			line, next = rest[:i], rest[i+1:]
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return hs, next
		}
		if (line[0] == ' ' || line[0] == '\t') && len(hs) > 0 {
			hs[len(hs)-1].Value += " " + strings.TrimSpace(string(line))
		} else if c := bytes.IndexByte(line, ':'); c > 0 {
			hs = append(hs, Field{Name: string(bytes.TrimSpace(line[:c])), Value: strings.TrimSpace(string(line[c+1:]))})
		} else {
			// Not a header line: the header block ended without a blank line.
			return hs, rest
		}
		rest = next
	}
	return hs, nil
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", charset, err)
	}
	return enc.NewDecoder().Reader(r), nil
}

func decodeWords(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

func headerValue(hs []Field, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// walker collects the text and URIs of a MIME tree.
type walker struct {
	parts int
	text  []string
	uris  []string
}

func (w *walker) entity(hdr []Field, body []byte, depth int) {
	w.parts++
	if depth > maxDepth || w.parts > maxParts {
		return
	}
	ct := headerValue(hdr, "Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || ct == "" {
		mt, params = "text/plain", map[string]string{}
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		w.multipart(body, params["boundary"], depth)
	case mt == "message/rfc822":
		h, b := splitHeader(body)
		w.entity(h, b, depth+1)
	case mt == "text/plain" || mt == "text/html":
		data := decodeTransfer(body, headerValue(hdr, "Content-Transfer-Encoding"))
		if len(data) > maxTextBytes {
			data = data[:maxTextBytes]
		}
		text := toUTF8(data, params["charset"])
		if mt == "text/html" {
			var links []string
			text, links = renderHTML(text)
			w.uris = append(w.uris, links...)
		}
		w.uris = append(w.uris, findURIs(text)...)
		w.text = append(w.text, text)
	}
}

func (w *walker) multipart(body []byte, boundary string, depth int) {
	if boundary == "" {
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for w.parts <= maxParts {
		p, err := mr.NextRawPart()
		if err != nil {
			return // end, or a damaged multipart: keep what was read
		}
		data, err := io.ReadAll(io.LimitReader(p, 8*maxTextBytes))
		if err != nil && len(data) == 0 {
			return
		}
		var hs []Field
		for name, vals := range p.Header {
			for _, v := range vals {
				hs = append(hs, Field{Name: name, Value: v})
			}
		}
		w.entity(hs, data, depth+1)
	}
}

func decodeTransfer(body []byte, cte string) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, body)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, _ := base64.StdEncoding.Decode(out, clean) // keep what decoded before an error
		return out[:n]
	case "quoted-printable":
		return decodeQP(body)
	}
	return body
}

// decodeQP decodes quoted-printable leniently, as mail readers do (RFC
// 2045 6.7 note 1): trailing blanks are dropped, "=" at a line end joins
// lines, "=XX" is a byte, and any other "=" is kept as it is. The standard
// library's reader stops at the first malformed "=", which would hide the
// rest of the body from the classifier.
func decodeQP(body []byte) []byte {
	out := make([]byte, 0, len(body))
	for len(body) > 0 {
		line := body
		var nl []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, nl, body = body[:i], body[i:i+1], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimRight(line, " \t\r")
		if bytes.HasSuffix(line, []byte("=")) {
			line, nl = line[:len(line)-1], nil // soft line break
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
				i += 2
				continue
			}
			out = append(out, c)
		}
		out = append(out, nl...)
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func toUTF8(data []byte, charset string) string {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if cs == "" || cs == "us-ascii" || cs == "utf-8" || cs == "utf8" {
		return string(data)
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return string(data)
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return string(data)
	}
	return string(out)
}

var (
	reTextURI  = regexp.MustCompile(`(?i)\b(?:(?:https?|ftp)://|www\.|mailto:)[^\s<>"'()\[\]{}]+`)
	reTextMail = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`)
)

// findURIs returns the URIs written out in plain text; bare mail addresses
// count as mailto: URIs, as in SpamAssassin's URI list.
func findURIs(text string) []string {
	var uris []string
	// Cheap prefilters: most paragraphs hold neither.
	low := strings.ToLower(text)
	if strings.Contains(low, "://") || strings.Contains(low, "www.") || strings.Contains(low, "mailto:") {
		uris = reTextURI.FindAllString(text, -1)
	}
	if strings.IndexByte(text, '@') >= 0 {
		for _, a := range reTextMail.FindAllString(text, -1) {
			uris = append(uris, "mailto:"+a)
		}
	}
	return uris
}
