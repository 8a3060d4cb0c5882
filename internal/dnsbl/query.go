package dnsbl

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Cache lifetimes. Answers are kept for their TTL clamped to
// [minTTL, maxTTL]; a list that answers with TTL 0 would otherwise be
// queried for every connection, and a long TTL would keep a delisted
// address blocked. Error answers are retried after errorTTL.
const (
	minTTL      = 30 * time.Second
	maxTTL      = time.Hour
	negativeTTL = 5 * time.Minute // NXDOMAIN without SOA (RFC 2308 5 suggests SOA minimum)
	errorTTL    = time.Minute
)

// errorNet is 127.255.255.0/24, the Spamhaus-style error answers.
var (
	loopbackNet = netip.MustParsePrefix("127.0.0.0/8")
	errorNet    = netip.MustParsePrefix("127.255.255.0/24")
	refusedName = netip.MustParseAddr("127.0.0.1") // URIBL: query refused
)

func (r *Resolver) query(ctx context.Context, qname, zone string, byName bool) (Result, error) {
	res := Result{Zone: zone, Query: qname}
	msg, err := r.exchange(ctx, qname, dns.TypeA)
	if err != nil {
		return res, err
	}
	switch msg.Rcode {
	case dns.RcodeNameError:
		res.TTL = clampTTL(negTTL(msg))
		return res, nil
	case dns.RcodeSuccess:
	default:
		return res, fmt.Errorf("dnsbl: %s %s: %s", zone, qname, dns.RcodeToString[msg.Rcode])
	}
	var bad []netip.Addr
	ttl := maxTTL
	for _, rr := range msg.Answer {
		a, ok := rr.(*dns.A)
		if !ok {
			continue // CNAME chains are followed by the resolver
		}
		ip, _ := netip.AddrFromSlice(a.A.To4())
		if t := time.Duration(a.Hdr.Ttl) * time.Second; t < ttl {
			ttl = t
		}
		if !loopbackNet.Contains(ip) || errorNet.Contains(ip) || byName && ip == refusedName {
			bad = append(bad, ip)
			continue
		}
		res.Codes = append(res.Codes, ip)
	}
	if len(res.Codes) == 0 {
		if len(bad) > 0 {
			return res, fmt.Errorf("%w: %s answered %v for %s", ErrBadAnswer, zone, bad, qname)
		}
		res.TTL = clampTTL(negTTL(msg)) // NODATA
		return res, nil
	}
	res.Listed = true
	res.TTL = clampTTL(ttl)
	if txt, err := r.exchange(ctx, qname, dns.TypeTXT); err == nil {
		for _, rr := range txt.Answer {
			if t, ok := rr.(*dns.TXT); ok && len(t.Txt) > 0 {
				res.Text = joinTXT(t.Txt)
				break
			}
		}
	}
	return res, nil
}

func joinTXT(parts []string) string {
	s := ""
	for _, p := range parts {
		s += p
	}
	if len(s) > 200 { // keep log lines and replies short
		s = s[:200]
	}
	return s
}

func negTTL(m *dns.Msg) time.Duration {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			t := soa.Minttl
			if soa.Hdr.Ttl < t {
				t = soa.Hdr.Ttl
			}
			return time.Duration(t) * time.Second
		}
	}
	return negativeTTL
}

func clampTTL(d time.Duration) time.Duration {
	return min(max(d, minTTL), maxTTL)
}

// exchange asks each server in turn (UDP, then TCP when truncated) and
// returns the first answer that is not SERVFAIL/REFUSED.
func (r *Resolver) exchange(ctx context.Context, qname string, qtype uint16) (*dns.Msg, error) {
	if len(r.servers) == 0 {
		return nil, ErrNoServers
	}
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	m.RecursionDesired = true
	var last error
	for _, srv := range r.servers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("dnsbl: %s: %w", qname, err)
		}
		c := &dns.Client{Net: "udp", Timeout: r.timeout}
		in, _, err := c.ExchangeContext(ctx, m, srv)
		if err == nil && in.Truncated {
			c.Net = "tcp"
			in, _, err = c.ExchangeContext(ctx, m, srv)
		}
		if err != nil {
			last = fmt.Errorf("dnsbl: %s via %s: %w", qname, srv, err)
			continue
		}
		if in.Rcode == dns.RcodeServerFailure || in.Rcode == dns.RcodeRefused {
			last = fmt.Errorf("dnsbl: %s via %s: %s", qname, srv, dns.RcodeToString[in.Rcode])
			continue
		}
		return in, nil
	}
	return nil, last
}
