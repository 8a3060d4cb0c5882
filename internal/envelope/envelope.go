// Package envelope describes one SMTP transaction as the pipeline sees it:
// the connection (Conn) and the envelope (Envelope) of each message, plus
// address parsing and normalising shared by every front end.
package envelope

import (
	"net/netip"
	"time"
)

// Conn is what is known about the client connection. Front ends fill it; the
// pipeline reads it. It is not mutated after the message reaches DATA.
type Conn struct {
	ID         string // connection ID for the log
	RemoteAddr netip.AddrPort
	LocalAddr  netip.AddrPort
	Hostname   string // reverse DNS name, "" if unknown
	Helo       string
	TLS        bool
	TLSVersion string
	TLSCipher  string
	AuthUser   string // authenticated user, "" if none
	Listener   string // name of the listener ("smtp", "submission", "milter")
	Started    time.Time
}

// IP returns the client address (unmapped).
func (c *Conn) IP() netip.Addr { return c.RemoteAddr.Addr().Unmap() }

// Envelope is the SMTP envelope of one message.
type Envelope struct {
	From       Address   // reverse path; From.IsNull() for <>
	Rcpts      []Address // forward paths, in order given
	Size       int64     // SIZE= parameter, 0 if not given
	SMTPUTF8   bool
	Body8Bit   bool
	RequireTLS bool
}

// Address is a parsed mailbox. Local is kept as given (case preserved);
// Domain is lower-cased, without trailing dot, IDNA-normalised when possible.
type Address struct {
	Local  string
	Domain string
}

// IsNull reports whether a is the null reverse path <>.
func (a Address) IsNull() bool { return a.Local == "" && a.Domain == "" }

// String returns local@domain, or "" for the null path.
func (a Address) String() string {
	if a.IsNull() {
		return ""
	}
	if a.Domain == "" {
		return a.Local
	}
	return a.Local + "@" + a.Domain
}
