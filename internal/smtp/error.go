// Package smtp holds what every part of mailwall says to an SMTP client: the
// reply codes, RFC 3463 enhanced status codes, and the one Error type that
// carries a client-safe text apart from the detailed reason for the log.
//
// Client text is generic on purpose; the detailed reason (Reason, Err) goes
// to the mail log with the queue ID, and the ID goes into the reply so the
// two can be joined. Never put err.Error() into Text.
package smtp

import (
	"errors"
	"fmt"
	"strings"
)

// EnhancedCode is an RFC 3463 enhanced status code, e.g. {5, 7, 1}.
type EnhancedCode [3]int

func (e EnhancedCode) String() string {
	if e[0] == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", e[0], e[1], e[2])
}

// Error is an SMTP reply that refuses or defers something.
type Error struct {
	Code     int          // 421, 450, 451, 452, 454, 550, 551, 552, 553, 554, 535 ...
	Enhanced EnhancedCode // RFC 3463
	Text     string       // what the client sees; generic, single line
	Reason   string       // named reason for the mail log (see the Reason* constants)
	Err      error        // wrapped cause, for the log only
}

// New returns an Error with the given code, enhanced code, client text and
// log reason.
func New(code int, enh EnhancedCode, reason, text string) *Error {
	return &Error{Code: code, Enhanced: enh, Text: text, Reason: reason}
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", e.Code)
	if s := e.Enhanced.String(); s != "" {
		b.WriteString(" " + s)
	}
	b.WriteString(" " + e.Text)
	if e.Reason != "" {
		b.WriteString(" [" + e.Reason + "]")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the client should try again later (4xx).
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// Wrap returns a copy of e with cause err attached.
func (e *Error) Wrap(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// WithText returns a copy of e with a different client text.
func (e *Error) WithText(format string, args ...any) *Error {
	c := *e
	c.Text = Sanitize(fmt.Sprintf(format, args...))
	return &c
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Sanitize makes s safe for one SMTP reply line: CR, LF, NUL and other
// control characters become spaces, so nothing can inject a second reply.
func Sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
