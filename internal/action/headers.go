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
	"mailwall/internal/smtp"
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
//
// A value folded already (every LF followed by a space or tab, no CR or
// NUL, lines under the RFC 5322 2.1.1 limit), as SpamAssassin folds
// X-Spam-Report one rule per line, keeps its lines.
func (p *Prefix) Add(name, value string) {
	if n, _, ok := Clean(name, ""); ok && folded(value) {
		p.buf.WriteString(n + ":")
		for i, line := range strings.Split(value, "\n") {
			line = strings.TrimRight(line, " \t")
			switch {
			case i > 0:
				p.buf.WriteString("\r\n" + line)
			case line != "":
				p.buf.WriteString(" " + strings.TrimLeft(line, " \t"))
			}
		}
		p.buf.WriteString("\r\n")
		return
	}
	name, value, ok := Clean(name, value)
	if !ok {
		return
	}
	p.buf.WriteString(name)
	p.buf.WriteString(":")
	fold(&p.buf, len(name)+1, strings.TrimSpace(value))
	p.buf.WriteString("\r\n")
}

// Clean makes a header field safe to add: the name loses anything that is
// not a printable ASCII name character, the value's CR, LF, NUL and tabs
// become spaces (so no one can inject a header line), and the value is
// trimmed. ok is false when no name is left.
func Clean(name, value string) (string, string, bool) {
	name = strings.Map(func(r rune) rune {
		if r <= ' ' || r == ':' || r >= 0x7f {
			return -1
		}
		return r
	}, name)
	value = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', 0, '\t':
			return ' '
		}
		return r
	}, value)
	return name, strings.TrimSpace(value), name != ""
}

// folded reports whether v is multi-line folded text safe to keep as is.
func folded(v string) bool {
	if !strings.Contains(v, "\n") || strings.ContainsAny(v, "\r\x00") {
		return false
	}
	for i, line := range strings.Split(v, "\n") {
		if len(line) > 900 || i > 0 && (line == "" || line[0] != ' ' && line[0] != '\t') ||
			i > 0 && strings.TrimSpace(line) == "" {
			return false
		}
	}
	return true
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

// Headers builds the prefix for a kept message: Received first, then
// ScanHeaders.
func Headers(received string, v verdict.Verdict, rep *scan.Report, product string) []byte {
	var p Prefix
	p.Add("Received", received)
	for _, h := range ScanHeaders(v, rep) {
		p.Add(h.Name, h.Value)
	}
	return p.Bytes()
}

// ScanHeaders are the fields the scanners and the verdict add to a kept
// message (without our Received): the scanners' own headers, then the
// verdict's markers. The milter front end asks the MTA to add these.
func ScanHeaders(v verdict.Verdict, rep *scan.Report) []scan.HeaderField {
	var out []scan.HeaderField
	for _, res := range rep.Results {
		if res != nil {
			out = append(out, res.Headers...)
		}
	}
	return append(out, markers(v, rep)...)
}

// markers are the verdict's own fields.
func markers(v verdict.Verdict, rep *scan.Report) []scan.HeaderField {
	var out []scan.HeaderField
	if len(v.Unscanned) > 0 {
		out = append(out, scan.HeaderField{Name: "X-Mailwall-Unscanned",
			Value: "not scanned by " + strings.Join(v.Unscanned, ", ") + " (scanner failed)"})
	}
	if v.Action == verdict.Tag && (v.Reason == smtp.ReasonLimitsExceeded || v.Reason == smtp.ReasonEncrypted) {
		out = append(out, scan.HeaderField{Name: "X-Virus-Status", Value: "Heuristic " + v.Detail})
	}
	if v.Spam && !hasHeader(rep, "X-Spam-Flag") {
		out = append(out, scan.HeaderField{Name: "X-Spam-Flag", Value: "YES"})
	}
	return out
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
