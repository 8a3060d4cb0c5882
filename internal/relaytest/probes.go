// Package relaytest audits hosts for open relaying and open proxying.
//
// # Relay probes
//
// Relay runs the probes public relay testers (abuse.net, ORDB-style
// scanners) run: a plain foreign recipient with several kinds of sender,
// then the recipient address tricks that fooled old MTAs. Each probe is
// MAIL FROM, RCPT TO, RSET on one session; DATA is never sent, so nothing
// is ever delivered. A probe "relays" when the RCPT gets a 2xx reply: an
// MTA that accepts the recipient would relay the message (some refuse
// later at DATA, but a tester cannot know without sending one).
//
// Proxy probes are in proxy.go.
package relaytest

import (
	"net/netip"
	"strings"
)

// Probe is one MAIL/RCPT pair.
type Probe struct {
	Name string
	From string // inside <>; "" = null sender
	To   string // inside <>
}

// Target is what the probes are built from: the host's name (from its
// greeting), its domain and IP address.
type Target struct {
	Host   string // "mx.example.test"
	Domain string // "example.test"
	IP     netip.Addr
}

// Probes returns the probes for target. from is our sender
// (relaytest@client.test); to is the foreign recipient
// (relaytest@other.test) that must never be accepted.
func Probes(t Target, from, to string) []Probe {
	user, dom, _ := strings.Cut(to, "@")
	h, d := t.Host, t.Domain
	if h == "" {
		h = "[" + t.IP.String() + "]"
	}
	if d == "" {
		d = h
	}
	lit := "[" + t.IP.String() + "]"
	if t.IP.Is6() {
		lit = "[IPv6:" + t.IP.String() + "]"
	}
	rcpt := func(name, r string) Probe { return Probe{Name: name, From: from, To: r} }
	return []Probe{
		{"plain foreign recipient", from, to},
		{"null sender", "", to},
		{"sender in target's domain", user + "@" + d, to},
		{"unqualified postmaster sender", "postmaster", to},
		{"sender at target's IP literal", user + "@" + lit, to},
		{"sender at target's host name", user + "@" + h, to},
		rcpt("percent hack at host", user+"%"+dom+"@"+h),
		rcpt("percent hack at IP literal", user+"%"+dom+"@"+lit),
		rcpt("quoted address", `"`+to+`"`),
		rcpt("quoted percent hack", `"`+user+"%"+dom+`"`),
		rcpt("quoted address at host", `"`+to+`"@`+h),
		rcpt("source route via host", "@"+h+":"+to),
		rcpt("source route via IP literal", "@"+lit+":"+to),
		rcpt("bang path", dom+"!"+user),
		rcpt("bang path at host", dom+"!"+user+"@"+h),
		rcpt("double at", to+"@"+h),
		rcpt("percent hack at domain", user+"%"+dom+"@"+d),
		rcpt("trailing dot", to+"."),
		rcpt("upper case", strings.ToUpper(to)),
		rcpt("foreign IP literal", user+"@[192.0.2.1]"),
	}
}
