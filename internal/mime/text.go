package mime

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// finish builds the per-part caches and the part lists once parsing is done.
func (m *Message) finish() {
	m.cache = make([]partCache, len(m.Parts))
	for _, p := range m.Parts {
		if len(p.Children) > 0 || p.IsMultipart() {
			continue
		}
		if p.IsAttachment() {
			m.attach = append(m.attach, p)
		}
		// A named text part shown inline is both: clients display it.
		if (p.MediaType == "text/plain" || p.MediaType == "text/html") && p.Disposition != "attachment" {
			m.textParts = append(m.textParts, p)
		}
	}
}

// Raw returns the body bytes as they are in the message.
func (p *Part) Raw() io.Reader {
	return io.NewSectionReader(p.msg.r, p.BodyStart, p.BodyEnd-p.BodyStart)
}

// Open returns the body with its Content-Transfer-Encoding decoded (base64,
// quoted-printable, uuencode; anything else as is), read from the message
// as the caller reads.
func (p *Part) Open() io.Reader {
	r := p.Raw()
	switch p.Encoding {
	case "base64":
		return newBase64Reader(r)
	case "quoted-printable":
		return newQPReader(r)
	case "x-uue", "x-uuencode", "uuencode", "uue":
		return newUUReader(r)
	}
	return r
}

// Text returns the decoded body of a text/* part converted to UTF-8, with
// CRLF line breaks as LF, at most Limits.MaxTextBytes of decoded bytes. It
// returns "" for other parts or when the message cannot be read.
func (p *Part) Text() string {
	if !p.IsText() || len(p.Children) > 0 {
		return ""
	}
	c := &p.msg.cache[p.idx]
	c.textOnce.Do(func() {
		b := readUpTo(p.Open(), min(p.BodyEnd-p.BodyStart, p.msg.lim.MaxTextBytes), p.msg.lim.MaxTextBytes)
		if bytes.IndexByte(b, '\r') >= 0 {
			b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		}
		cs := p.Charset
		if cs == "" && p.MediaType == "text/html" && !utf8.Valid(b) {
			cs = sniffHTMLCharset(b)
		}
		c.text = DecodeCharset(b, cs)
	})
	return c.text
}

// readUpTo reads at most limit bytes from r into a buffer sized for hint
// bytes (decoded text is rarely longer than the raw body). A read error
// ends the text where it happened.
func readUpTo(r io.Reader, hint, limit int64) []byte {
	b := make([]byte, 0, hint+1)
	for int64(len(b)) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit)])
		b = b[:len(b)+n]
		if err != nil {
			break
		}
	}
	return b
}

// sniffHTMLCharset returns the charset an HTML document declares in a meta
// element near its start (<meta charset=...> or http-equiv Content-Type),
// "" if none. Clients honour it when the MIME header names no charset.
func sniffHTMLCharset(b []byte) string {
	head := bytes.ToLower(b[:min(len(b), 2048)])
	i := bytes.Index(head, []byte("charset="))
	if i < 0 {
		return ""
	}
	v := bytes.TrimLeft(head[i+len("charset="):], "\"' ")
	end := 0
	for end < len(v) && end < 40 && (v[end] == '-' || v[end] == '_' || v[end] == '.' || v[end] == ':' ||
		'a' <= v[end] && v[end] <= 'z' || '0' <= v[end] && v[end] <= '9') {
		end++
	}
	return string(v[:end])
}

// html renders a text/html part once and returns its text and links.
func (p *Part) html() (string, []string) {
	c := &p.msg.cache[p.idx]
	c.htmlOnce.Do(func() {
		c.rendered, c.links = HTMLToText([]byte(p.Text()))
	})
	return c.rendered, c.links
}

// Text returns the rendered text of the message body: every text part in
// order, plain parts as they are and HTML parts rendered to text, separated
// by blank lines. Both alternatives of a multipart/alternative are included,
// so rules see what any client may show.
func (m *Message) Text() string {
	m.textOnce.Do(func() {
		var b strings.Builder
		for _, p := range m.textParts {
			t := p.Text()
			if p.MediaType == "text/html" {
				t, _ = p.html()
			}
			if t == "" {
				continue
			}
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(t)
		}
		m.text = b.String()
	})
	return m.text
}
