package policy

import (
	"net/netip"
	"time"
)

// Config is what the engine needs; cmd/mailwall maps the YAML into it.
// Zero values mean "off" unless a default is named.
type Config struct {
	// Hostname is our host name. Mail to it is relayed like any other
	// domain unless it is also in LocalDomains (as Postfix's myhostname is
	// only local when listed in mydestination).
	Hostname string
	// LocalDomains: mail for them is accepted from anyone. A leading dot
	// (".example.test") also matches every subdomain.
	LocalDomains []string
	// RelayDomains: domains we are backup MX or gateway for; accepted from
	// anyone and passed on.
	RelayDomains []string
	// TrustedNetworks may relay to any domain.
	TrustedNetworks []netip.Prefix
	// LocalIPs are our own addresses, so user@[our IP] is recognised even
	// behind NAT; the connection's local address is always included.
	LocalIPs []netip.Addr

	// AccessMap is a sendmail-format access file; "" = none.
	AccessMap string
	// Block lists refuse clients and senders; Allow lists bypass the block
	// rules and DNSBL.
	Block BlockLists
	Allow AllowLists
	// DNSBL zones queried at connect, in parallel; the first listing in
	// this order wins.
	DNSBL []DNSBLZone
	// ConnRate limits new connections per client IP; zero = off.
	ConnRate Rate
	// MaxErrors: after this many errors NoteError says drop; 0 = off.
	MaxErrors int
	// MaxUnknownRcpts: after this many unknown recipients NoteUnknownRcpt
	// says drop; 0 = off.
	MaxUnknownRcpts int

	Auth       AuthConfig
	RateLimits RateLimits
	// State holds the counters (rate limits, connection rate, failed
	// logins). Pass the same State to the engine built on each config
	// reload so a reload forgives nothing; nil = a fresh in-memory State.
	State *State
}

// BlockLists are the four kinds of block list users know, each with the
// text the client sees ("" = a default).
type BlockLists struct {
	ClientIPs     []netip.Prefix
	ClientIPReply string
	// Senders are full addresses (user@domain).
	Senders     []string
	SenderReply string
	// SenderDomains match the domain and its subdomains.
	SenderDomains     []string
	SenderDomainReply string
	// SenderLocals match the local part on any domain ("info", "promo").
	SenderLocals     []string
	SenderLocalReply string
}

// AllowLists bypass the block rules (not relay control).
type AllowLists struct {
	ClientIPs     []netip.Prefix
	Senders       []string
	SenderDomains []string
}

// DNSBLZone is one IP block list.
type DNSBLZone struct {
	Zone string
	// Codes maps answer addresses ("127.0.0.2") to their meaning ("SBL").
	// When not empty, only these answers count as listings.
	Codes map[netip.Addr]string
	// Reply is the client text; "" = "Service unavailable; client [{ip}]
	// blocked using {zone}". {ip}, {zone}, {code} and {meaning} are
	// replaced.
	Reply string
}

// Rate is "N per Per".
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) on() bool { return r.N > 0 && r.Per > 0 }

// Limit is one rate limit: a token bucket of Messages per Window, a daily
// cap on messages, and a daily cap on distinct recipients. Zeros are off.
type Limit struct {
	Messages      int
	Window        time.Duration
	Daily         int
	NewRcptsDaily int
}

func (l Limit) on() bool {
	return l.Messages > 0 && l.Window > 0 || l.Daily > 0 || l.NewRcptsDaily > 0
}

// RateLimits apply at the end of DATA. PerSender counts only mail from
// trusted or authenticated clients (outbound), so a forged inbound sender
// cannot use up a local user's allowance.
type RateLimits struct {
	PerUser   Limit
	PerSender Limit
	PerIP     Limit
}

// AuthConfig configures SMTP AUTH checking.
type AuthConfig struct {
	// UsersFile is the users file (see # Users file); "" = AUTH disabled.
	UsersFile string
	// AllowPlaintextLoopback lets loopback clients AUTH without TLS.
	AllowPlaintextLoopback bool
	Throttle               Throttle
}

// Throttle configures the growing delay after failed logins, kept per
// client IP and per user name.
type Throttle struct {
	// FreeFailures are allowed before any delay (default 3).
	FreeFailures int
	// BaseDelay doubles with each further failure (default 2 s) up to
	// MaxDelay (default 5 min); during the delay AUTH gets 454 4.7.0.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// LockoutAfter failures the key is locked for Lockout (defaults 10,
	// 15 min).
	LockoutAfter int
	Lockout      time.Duration
}

func (c *Config) setDefaults() {
	t := &c.Auth.Throttle
	if t.FreeFailures == 0 {
		t.FreeFailures = 3
	}
	if t.BaseDelay == 0 {
		t.BaseDelay = 2 * time.Second
	}
	if t.MaxDelay == 0 {
		t.MaxDelay = 5 * time.Minute
	}
	if t.LockoutAfter == 0 {
		t.LockoutAfter = 10
	}
	if t.Lockout == 0 {
		t.Lockout = 15 * time.Minute
	}
}
