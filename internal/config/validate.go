package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

func (c *Config) validate(v *validator) {
	if c.Hostname == "" {
		v.errorf("hostname", "must not be empty")
	}
	if c.DataDir == "" {
		v.errorf("data_dir", "must not be empty")
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "redis://") && !strings.HasPrefix(c.Store, "rediss://") && !strings.HasPrefix(c.Store, "bbolt://") {
		v.errorf("store", "want redis://host:port/db or bbolt:///path, not %q", c.Store)
	}
	for i, n := range c.TrustedNetworks {
		if _, err := ParsePrefix(n); err != nil {
			v.errorf(fmt.Sprintf("trusted_networks.%d", i), "%v", err)
		}
	}
	if len(c.SMTP.Listen)+len(c.SMTP.Submission)+len(c.Milter.Listen) == 0 {
		v.errorf("smtp.listen", "no SMTP or milter listener configured")
	}
	for i, l := range c.Milter.Listen {
		if !strings.HasPrefix(l, "unix:") {
			checkHostPort(v, fmt.Sprintf("milter.listen.%d", i), l)
		}
	}
	for i, l := range c.SMTP.Listen {
		checkHostPort(v, fmt.Sprintf("smtp.listen.%d", i), l)
	}
	for i, l := range c.SMTP.Submission {
		checkHostPort(v, fmt.Sprintf("smtp.submission.%d", i), l)
	}
	if c.SMTP.MaxMessageSize <= 0 {
		v.errorf("smtp.max_message_size", "must be positive")
	}
	if c.SMTP.MaxRecipients <= 0 {
		v.errorf("smtp.max_recipients", "must be positive")
	}
	if c.SMTP.BareLF != "reject" && c.SMTP.BareLF != "normalize" {
		v.errorf("smtp.bare_lf", "must be reject or normalize, not %q", c.SMTP.BareLF)
	}
	if (c.SMTP.TLSCert == "") != (c.SMTP.TLSKey == "") {
		v.errorf("smtp.tls_cert", "tls_cert and tls_key go together")
	}
	if len(c.Routes) == 0 {
		v.errorf("routes", "at least one route is needed")
	}
	for i, r := range c.Routes {
		if len(r.Domains) == 0 {
			v.errorf(fmt.Sprintf("routes.%d.domains", i), "must not be empty")
		}
		if _, err := ParseNextHop(r.NextHop); err != nil {
			v.errorf(fmt.Sprintf("routes.%d.next_hop", i), "%v", err)
		}
	}
	if len(c.Queue.Retry) == 0 {
		v.errorf("queue.retry", "must have at least one interval")
	}
	for i, d := range c.Queue.Retry {
		if d <= 0 {
			v.errorf(fmt.Sprintf("queue.retry.%d", i), "must be positive")
		}
	}
	if c.Queue.GiveUp <= 0 {
		v.errorf("queue.give_up", "must be positive")
	}
	if c.Delivery.Concurrency <= 0 || c.Delivery.PerDestination <= 0 {
		v.errorf("delivery", "concurrency and per_destination must be positive")
	}
	if c.Web.Listen != "" {
		checkHostPort(v, "web.listen", c.Web.Listen)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		v.errorf("log.format", "must be text or json")
	}
	for i, s := range c.DNS.Servers {
		checkHostPort(v, fmt.Sprintf("dns.servers.%d", i), s)
	}
	c.Policy.validate(v)
	c.Antivirus.validate(v)
	c.Spam.validate(v)
}

func checkHostPort(v *validator, path, s string) {
	if _, _, err := net.SplitHostPort(s); err != nil {
		v.errorf(path, "want host:port: %v", err)
	}
}

// ParsePrefix accepts a CIDR or a bare address (a /32 or /128).
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// NextHop is a parsed route target.
type NextHop struct {
	Scheme string // "smtp", "lmtp", "maildir", "mx"
	Addr   string // host:port, or "unix:/path" for lmtp
	Path   string // maildir path
}

// ParseNextHop parses a route's next_hop.
func ParseNextHop(s string) (NextHop, error) {
	if s == "mx" {
		return NextHop{Scheme: "mx"}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return NextHop{}, fmt.Errorf("bad next_hop %q: %v", s, err)
	}
	switch u.Scheme {
	case "smtp", "lmtp":
		if u.Opaque != "" && strings.HasPrefix(u.Opaque, "unix:") {
			return NextHop{Scheme: u.Scheme, Addr: u.Opaque}, nil
		}
		if u.Host == "" {
			return NextHop{}, fmt.Errorf("next_hop %q: missing host:port", s)
		}
		h := u.Host
		if u.Port() == "" {
			h = net.JoinHostPort(u.Hostname(), map[string]string{"smtp": "25", "lmtp": "24"}[u.Scheme])
		}
		return NextHop{Scheme: u.Scheme, Addr: h}, nil
	case "maildir":
		if u.Path == "" {
			return NextHop{}, fmt.Errorf("next_hop %q: missing path", s)
		}
		return NextHop{Scheme: "maildir", Path: u.Path}, nil
	}
	return NextHop{}, fmt.Errorf("next_hop %q: scheme must be smtp://, lmtp://, maildir:// or mx", s)
}
