// Package deliver sends queued messages onward: over SMTP or LMTP to a
// configured next hop, to the recipient domain's MX hosts, or into a local
// Maildir. It implements queue.Deliverer.
//
// # Next hops
//
//	smtp://host[:port]   SMTP, port 25 by default
//	lmtp://host[:port]   LMTP over TCP, port 24 by default (RFC 2033)
//	lmtp:unix:/path      LMTP over a unix socket
//	maildir:///path      a Maildir; one file for all recipients
//	mx                   the MX hosts of the recipients' domain (RFC 5321 5.1)
//
// # What goes on the wire
//
// Every argument we send (HELO name, MAIL FROM, RCPT TO) is checked for CR,
// LF and NUL first and refused if it has any, so a hostile address can never
// inject a command. Message data is normalised on the way out: every bare CR
// or bare LF becomes CRLF, then lines starting with "." are dot-stuffed
// (RFC 5321 4.5.2), so what we relay never contains the bare line endings
// used for SMTP smuggling.
//
// STARTTLS is opportunistic: used when offered, certificate not verified
// unless Options.TLSConfig says otherwise (RFC 7435), and if the handshake
// fails the delivery is retried once in plain text. Bytes the server sent
// after its "220" to STARTTLS and before the handshake are discarded, never
// read as replies (CVE-2011-0411 class): the client's read buffer is dropped
// with the plain-text connection.
//
// With PIPELINING offered (RFC 2920), MAIL FROM and all RCPT TO commands go
// out in one write and their replies are read in order; DATA waits for them.
package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"mailwall/internal/queue"
)

// Options configure a Deliverer. Zero values take the defaults noted.
type Options struct {
	// HeloName is sent in EHLO/LHLO; default "localhost".
	HeloName string
	// Timeout bounds each connection attempt and each command; default 5m
	// (RFC 5321 4.5.3.2 suggests 5 to 10 minutes per command).
	Timeout time.Duration
	// DNSServers are host:port resolvers for "mx"; default: the servers in
	// /etc/resolv.conf.
	DNSServers []string
	// MXPort is the port used for MX hosts; default 25. Tests set it.
	MXPort int
	// TLSConfig for STARTTLS; nil means opportunistic: any certificate is
	// accepted (an unverified encrypted channel beats plain text).
	TLSConfig *tls.Config
	// Log receives per-connection details; default discards.
	Log *slog.Logger
}

// Deliverer delivers messages; it is safe for concurrent use.
type Deliverer struct {
	o    Options
	pool pool
}

var _ queue.Deliverer = (*Deliverer)(nil)

// New returns a Deliverer.
func New(o Options) *Deliverer {
	if o.HeloName == "" {
		o.HeloName = "localhost"
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.MXPort == 0 {
		o.MXPort = 25
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{o: o}
}

// Close closes idle connections kept for reuse. Deliveries may still run
// afterwards; they open new connections.
func (d *Deliverer) Close() error {
	d.pool.closeAll()
	return nil
}

// Deliver implements queue.Deliverer.
func (d *Deliverer) Deliver(ctx context.Context, nextHop, from string, rcpts []string, msg io.Reader) []queue.Result {
	if err := checkArg("HELO name", d.o.HeloName); err != nil {
		return failAll(rcpts, err, false)
	}
	if err := checkArg("sender", from); err != nil {
		return failAll(rcpts, err, true)
	}
	var bad []queue.Result
	good := make([]string, 0, len(rcpts))
	for _, r := range rcpts {
		if err := checkArg("recipient", r); err != nil || r == "" {
			bad = append(bad, queue.Result{Rcpt: r, Enhanced: "5.1.3", Text: "invalid recipient address", Err: fmt.Errorf("recipient %q: %w", r, errBadArg), Permanent: true})
			continue
		}
		good = append(good, r)
	}
	if len(good) == 0 {
		return bad
	}
	h, err := parseHop(nextHop)
	if err != nil {
		return append(bad, failAll(good, err, false)...)
	}
	var res []queue.Result
	switch h.kind {
	case "maildir":
		res = d.maildir(h.path, good, msg)
	case "mx":
		res = d.viaMX(ctx, from, good, msg)
	default:
		res = d.viaHost(ctx, h, from, good, msg)
	}
	return append(bad, res...)
}

// errBadArg marks an argument refused before sending.
var errBadArg = errors.New("contains CR, LF, NUL or angle bracket")

// checkArg refuses what could break out of an SMTP command line: CR, LF,
// NUL (RFC 5321 2.3.8: never in commands) and, for addresses, '<' or '>',
// which would end the path and let the rest be read as parameters.
func checkArg(what, s string) error {
	if strings.ContainsAny(s, "\r\n\x00<>") {
		return fmt.Errorf("%s %q: %w", what, s, errBadArg)
	}
	return nil
}

// hop is a parsed next hop.
type hop struct {
	kind    string // "smtp", "lmtp", "maildir", "mx"
	network string // "tcp" or "unix"
	addr    string // host:port or socket path
	host    string // for TLS server name
	path    string // maildir
}

func parseHop(s string) (hop, error) {
	switch {
	case s == "mx":
		return hop{kind: "mx"}, nil
	case strings.HasPrefix(s, "maildir://"):
		p := strings.TrimPrefix(s, "maildir://")
		if !strings.HasPrefix(p, "/") {
			return hop{}, fmt.Errorf("next hop %q: maildir path must be absolute", s)
		}
		return hop{kind: "maildir", path: p}, nil
	case strings.HasPrefix(s, "lmtp:unix:"):
		return hop{kind: "lmtp", network: "unix", addr: strings.TrimPrefix(s, "lmtp:unix:")}, nil
	case strings.HasPrefix(s, "smtp://"), strings.HasPrefix(s, "lmtp://"):
		kind, hostport, _ := strings.Cut(s, "://")
		hostport = strings.TrimSuffix(hostport, "/")
		port := map[string]string{"smtp": "25", "lmtp": "24"}[kind]
		host, addr := splitHostPort(hostport, port)
		if host == "" {
			return hop{}, fmt.Errorf("next hop %q: no host", s)
		}
		return hop{kind: kind, network: "tcp", addr: addr, host: host}, nil
	}
	return hop{}, fmt.Errorf("next hop %q: unknown scheme", s)
}

// splitHostPort accepts "host", "host:port", "[v6]" and "[v6]:port".
func splitHostPort(s, defPort string) (host, addr string) {
	if h, p, err := net.SplitHostPort(s); err == nil {
		return h, net.JoinHostPort(h, p)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	return host, net.JoinHostPort(host, defPort)
}

func failAll(rcpts []string, err error, permanent bool) []queue.Result {
	res := make([]queue.Result, len(rcpts))
	for i, r := range rcpts {
		res[i] = queue.Result{Rcpt: r, Text: err.Error(), Err: err, Permanent: permanent}
		if permanent {
			res[i].Enhanced = "5.5.2"
		}
	}
	return res
}
