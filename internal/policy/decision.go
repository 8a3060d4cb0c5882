package policy

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"mailwall/internal/smtp"
)

// Decision is the answer of one stage.
type Decision struct {
	Action Action
	// Err is the reply for Reject and TempFail. Its Text is always ASCII;
	// a UTF-8 text from the access map is kept in UTF8Text.
	Err *smtp.Error
	// UTF8Text is the reply text as the admin wrote it, when it is not
	// ASCII; send it only to a client that negotiated SMTPUTF8 (RFC 6531).
	UTF8Text string
	// Source names the rule: "access_map:/etc/mailwall/access:12",
	// "dnsbl:zen.example.test", "trusted_networks", "block.senders".
	Source string
}

// Decisive reports whether the chain stops here.
func (d Decision) Decisive() bool { return d.Action != Continue }

// Text renders the reply line ("550 5.7.1 text"); "" when d has no error.
// UTF-8 text is used only when smtputf8 is true.
func (d Decision) Text(smtputf8 bool) string {
	e := d.SMTPError(smtputf8)
	if e == nil {
		return ""
	}
	s := strconv.Itoa(e.Code)
	if enh := e.Enhanced.String(); enh != "" {
		s += " " + enh
	}
	return s + " " + e.Text
}

// SMTPError returns Err with the text right for the session.
func (d Decision) SMTPError(smtputf8 bool) *smtp.Error {
	if d.Err == nil {
		return nil
	}
	if smtputf8 && d.UTF8Text != "" {
		c := *d.Err
		c.Text = d.UTF8Text
		return &c
	}
	return d.Err
}

// asciiText makes s a safe reply text for a client without SMTPUTF8:
// control characters become spaces, each non-ASCII character '?', and
// invalid UTF-8 is dropped. It returns the UTF-8 original as well ("" when
// s was ASCII already).
func asciiText(s string) (ascii, utf string) {
	s = smtp.Sanitize(strings.ToValidUTF8(s, ""))
	if len(s) > maxReplyText {
		s = truncUTF8(s, maxReplyText)
	}
	plain := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return s, ""
	}
	var b strings.Builder
	for _, r := range s {
		if r >= 0x80 {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String(), s
}

// maxReplyText keeps a reply line under RFC 5321 4.5.3.1.5's 512 octets.
const maxReplyText = 400

func truncUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// reply builds a refusal decision from code, enhanced code, reason and
// (possibly UTF-8) text.
func reply(code int, enh smtp.EnhancedCode, reason, text, source string) Decision {
	ascii, utf := asciiText(text)
	act := Reject
	if code >= 400 && code < 500 {
		act = TempFail
	}
	return Decision{Action: act, Err: smtp.New(code, enh, reason, ascii), UTF8Text: utf, Source: source}
}
