package config

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"
)

// Policy configures the pre-DATA rules (internal/policy); see
// docs/config-policy.md. The error limit per connection is smtp.max_errors.
type Policy struct {
	// AccessMap is a sendmail-format access file, re-read when it changes;
	// "" = none.
	AccessMap string `yaml:"access_map"`
	// Block lists refuse clients and senders, each with its own reply.
	Block PolicyBlock `yaml:"block"`
	// Allow lists bypass the block lists and DNSBL (never relay control).
	Allow PolicyAllow `yaml:"allow"`
	// DNSBL zones are queried at connect; default none.
	DNSBL []PolicyDNSBL `yaml:"dnsbl"`
	// ConnectionRate limits new connections per client IP; default off.
	ConnectionRate PolicyRate `yaml:"connection_rate"`
	// MaxUnknownRecipients: a client refused this many recipients as
	// unknown is disconnected (directory harvest); default 20, 0 = off.
	MaxUnknownRecipients int `yaml:"max_unknown_recipients"`
	// LocalIPs are our public addresses when behind NAT, so that
	// user@[our IP] is recognised; default none.
	LocalIPs []string `yaml:"local_ips"`
	// Auth configures SMTP AUTH checking.
	Auth PolicyAuth `yaml:"auth"`
	// RateLimits cap outbound mail per user, sender and client IP.
	RateLimits PolicyRateLimits `yaml:"rate_limits"`
}

// PolicyBlock holds the four kinds of block list.
type PolicyBlock struct {
	// ClientIPs: addresses or CIDRs.
	ClientIPs PolicyBlockList `yaml:"client_ips"`
	// Senders: full addresses.
	Senders PolicyBlockList `yaml:"senders"`
	// SenderDomains: domains, matching their subdomains too.
	SenderDomains PolicyBlockList `yaml:"sender_domains"`
	// SenderLocals: local parts on any domain.
	SenderLocals PolicyBlockList `yaml:"sender_locals"`
}

// PolicyBlockList is one block list and the text the client sees.
type PolicyBlockList struct {
	Entries []string `yaml:"entries"`
	// Reply is the client text ("" = "Access denied").
	Reply string `yaml:"reply"`
}

// PolicyAllow holds the allow lists.
type PolicyAllow struct {
	ClientIPs     []string `yaml:"client_ips"`
	Senders       []string `yaml:"senders"`
	SenderDomains []string `yaml:"sender_domains"`
}

// PolicyDNSBL is one DNS block list zone.
type PolicyDNSBL struct {
	Zone string `yaml:"zone"`
	// Codes maps answers to their meaning ({"127.0.0.2": "SBL"}); when
	// set, only these answers block.
	Codes map[string]string `yaml:"codes"`
	// Reply: "" = "Service unavailable; client [{ip}] blocked using
	// {zone}"; {ip} {zone} {code} {meaning} are replaced.
	Reply string `yaml:"reply"`
}

// PolicyRate is "max per per".
type PolicyRate struct {
	Max int           `yaml:"max"`
	Per time.Duration `yaml:"per"`
}

// PolicyAuth configures SMTP AUTH checking.
type PolicyAuth struct {
	// UsersFile holds the accounts (mailwall users); "" = AUTH off.
	UsersFile string `yaml:"users_file"`
	// AllowPlaintextLoopback lets loopback clients AUTH without TLS;
	// default false.
	AllowPlaintextLoopback bool           `yaml:"allow_plaintext_loopback"`
	Throttle               PolicyThrottle `yaml:"throttle"`
}

// PolicyThrottle: growing delay after failed logins, per IP and per user.
type PolicyThrottle struct {
	// FreeFailures before any delay; default 3.
	FreeFailures int `yaml:"free_failures"`
	// BaseDelay doubles per further failure up to MaxDelay; defaults 2s, 5m.
	BaseDelay time.Duration `yaml:"base_delay"`
	MaxDelay  time.Duration `yaml:"max_delay"`
	// LockoutAfter failures, locked for Lockout; defaults 10, 15m.
	LockoutAfter int           `yaml:"lockout_after"`
	Lockout      time.Duration `yaml:"lockout"`
}

// PolicyRateLimits: over a limit the message gets 451 4.7.1.
type PolicyRateLimits struct {
	// PerUser: authenticated users; default 100 per hour, 1000 a day,
	// 500 new recipients a day.
	PerUser PolicyLimit `yaml:"per_user"`
	// PerSender: envelope senders of outbound mail; default off.
	PerSender PolicyLimit `yaml:"per_sender"`
	// PerIP: client IPs; default off.
	PerIP PolicyLimit `yaml:"per_ip"`
}

// PolicyLimit is one rate limit; zeros are off.
type PolicyLimit struct {
	Messages           int           `yaml:"messages"`
	Per                time.Duration `yaml:"per"`
	Daily              int           `yaml:"daily"`
	NewRecipientsDaily int           `yaml:"new_recipients_daily"`
}

func (c *Policy) setDefaults() {
	c.MaxUnknownRecipients = 20 // Postfix smtpd_hard_error_limit
	c.Auth.Throttle = PolicyThrottle{FreeFailures: 3, BaseDelay: 2 * time.Second,
		MaxDelay: 5 * time.Minute, LockoutAfter: 10, Lockout: 15 * time.Minute}
	// A person sends well under 100 messages an hour; a hijacked account
	// sending "a few a minute" hits the daily cap by mid-morning.
	c.RateLimits.PerUser = PolicyLimit{Messages: 100, Per: time.Hour, Daily: 1000, NewRecipientsDaily: 500}
}

func (c *Policy) validate(v *validator) {
	if c.AccessMap != "" {
		if _, err := os.Stat(c.AccessMap); err != nil {
			v.errorf("policy.access_map", "%v", err)
		}
	}
	b := &c.Block
	checkPrefixes(v, "policy.block.client_ips.entries", b.ClientIPs.Entries)
	checkAddrs(v, "policy.block.senders.entries", b.Senders.Entries)
	checkDomains(v, "policy.block.sender_domains.entries", b.SenderDomains.Entries)
	for i, l := range b.SenderLocals.Entries {
		if l == "" || strings.ContainsAny(l, "@ \t") {
			v.errorf(fmt.Sprintf("policy.block.sender_locals.entries.%d", i), "want a local part without @, not %q", l)
		}
	}
	checkPrefixes(v, "policy.allow.client_ips", c.Allow.ClientIPs)
	checkAddrs(v, "policy.allow.senders", c.Allow.Senders)
	checkDomains(v, "policy.allow.sender_domains", c.Allow.SenderDomains)
	for i, z := range c.DNSBL {
		path := fmt.Sprintf("policy.dnsbl.%d", i)
		if z.Zone == "" || strings.ContainsAny(z.Zone, " \t/") {
			v.errorf(path+".zone", "want a DNS zone, not %q", z.Zone)
		}
		for code := range z.Codes {
			a, err := netip.ParseAddr(code)
			if err != nil || !a.Is4() || a.As4()[0] != 127 {
				v.errorf(path+".codes", "%q: want an answer in 127.0.0.0/8", code)
			}
		}
	}
	checkRate(v, "policy.connection_rate", c.ConnectionRate.Max, c.ConnectionRate.Per)
	if c.MaxUnknownRecipients < 0 {
		v.errorf("policy.max_unknown_recipients", "must not be negative")
	}
	for i, s := range c.LocalIPs {
		if _, err := netip.ParseAddr(s); err != nil {
			v.errorf(fmt.Sprintf("policy.local_ips.%d", i), "%v", err)
		}
	}
	t := &c.Auth.Throttle
	if t.FreeFailures < 0 || t.LockoutAfter < 1 || t.BaseDelay <= 0 || t.MaxDelay < t.BaseDelay || t.Lockout <= 0 {
		v.errorf("policy.auth.throttle", "want free_failures >= 0, lockout_after >= 1, 0 < base_delay <= max_delay, lockout > 0")
	}
	for name, l := range map[string]PolicyLimit{"per_user": c.RateLimits.PerUser,
		"per_sender": c.RateLimits.PerSender, "per_ip": c.RateLimits.PerIP} {
		path := "policy.rate_limits." + name
		checkRate(v, path, l.Messages, l.Per)
		if l.Daily < 0 || l.NewRecipientsDaily < 0 {
			v.errorf(path, "daily and new_recipients_daily must not be negative")
		}
	}
}

func checkRate(v *validator, path string, n int, per time.Duration) {
	if n < 0 || per < 0 || n > 0 && per == 0 {
		v.errorf(path, "want a positive count and a positive period (per: 1m)")
	}
}

func checkPrefixes(v *validator, path string, list []string) {
	for i, s := range list {
		if _, err := ParsePrefix(s); err != nil {
			v.errorf(fmt.Sprintf("%s.%d", path, i), "%v", err)
		}
	}
}

func checkAddrs(v *validator, path string, list []string) {
	for i, s := range list {
		if at := strings.LastIndexByte(s, '@'); at <= 0 || at == len(s)-1 {
			v.errorf(fmt.Sprintf("%s.%d", path, i), "want user@domain, not %q", s)
		}
	}
}

func checkDomains(v *validator, path string, list []string) {
	for i, s := range list {
		if s == "" || strings.ContainsAny(s, "@ \t") {
			v.errorf(fmt.Sprintf("%s.%d", path, i), "want a domain, not %q", s)
		}
	}
}
