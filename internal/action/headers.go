// Package action applies a verdict to an accepted message: it builds the
// header prefix that is stored beside the immutable message (Received,
// X-Spam-*, X-Virus-*, scanner headers) and decides where the message goes.
// It never rewrites the spooled bytes.
package action

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"mailwall/internal/envelope"
	"mailwall/internal/scan"
	"mailwall/internal/verdict"
)

// maxLine is where added headers are folded (RFC 5322 2.1.1 recommends 78).
const maxLine = 78

// Prefix collects header fields to prepend to a message.
type Prefix struct {
	buf bytes.Buffer
}

// Add appends one field. Name and value are cleaned: CR, LF and NUL become
// spaces so nothing a client or a rule wrote can inject a header line, and
// long values are folded at white space.
func (p *Prefix) Add(name, value string) {
	name = strings.Map(func(r rune) rune {
		if r <= ' ' || r == ':' || r >= 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" {
		return
	}
	value = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', 0, '\t':
			return ' '
		}
		return r
	}, value)
	p.buf.WriteString(name)
	p.buf.WriteString(":")
	fold(&p.buf, len(name)+1, strings.TrimSpace(value))
	p.buf.WriteString("\r\n")
}

// Bytes returns the CRLF-terminated header lines.
func (p *Prefix) Bytes() []byte { return p.buf.Bytes() }

// fold writes value, breaking before white space when a line would pass
// maxLine. Words longer than a line are written whole.
func fold(b *bytes.Buffer, col int, value string) {
	for i, w := range strings.Fields(value) {
		if i > 0 && col+1+len(w) > maxLine {
			b.WriteString("\r\n\t")
			col = 1
		} else {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
}

// Received builds our Received header value (RFC 5321 4.4).
func Received(c *envelope.Conn, env *envelope.Envelope, hostname, id string, now time.Time) string {
	helo := c.Helo
	if helo == "" {
		helo = "unknown"
	}
	rdns := c.Hostname
	if rdns == "" {
		rdns = "unknown"
	}
	proto := "SMTP"
	if c.Helo != "" {
		proto = "ESMTP"
		if env.SMTPUTF8 {
			proto = "UTF8SMTP"
		}
		if c.TLS {
			proto += "S"
		}
		if c.AuthUser != "" {
			proto += "A"
		}
	}
	s := fmt.Sprintf("from %s (%s [%s]) by %s (mailwall) with %s id %s", helo, rdns, c.IP(), hostname, proto, id)
	if c.TLS && c.TLSVersion != "" {
		s += fmt.Sprintf(" (using %s with cipher %s)", c.TLSVersion, c.TLSCipher)
	}
	if len(env.Rcpts) == 1 {
		s += " for <" + env.Rcpts[0].String() + ">"
	}
	return s + "; " + now.Format(time.RFC1123Z)
}

// Headers builds the prefix for a kept message: Received first, then the
// scanners' own headers, then the verdict's markers.
func Headers(received string, v verdict.Verdict, rep *scan.Report, product string) []byte {
	var p Prefix
	p.Add("Received", received)
	for _, res := range rep.Results {
		if res == nil {
			continue
		}
		for _, h := range res.Headers {
			p.Add(h.Name, h.Value)
		}
	}
	if len(v.Unscanned) > 0 {
		p.Add("X-Mailwall-Unscanned", "not scanned by "+strings.Join(v.Unscanned, ", ")+" (scanner failed)")
	}
	if v.Action == verdict.Tag && !hasHeader(rep, "X-Spam-Flag") {
		p.Add("X-Spam-Flag", "YES")
	}
	return p.Bytes()
}

func hasHeader(rep *scan.Report, name string) bool {
	for _, res := range rep.Results {
		if res == nil {
			continue
		}
		for _, h := range res.Headers {
			if strings.EqualFold(h.Name, name) {
				return true
			}
		}
	}
	return false
}
