package dnsbl

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// # Record look-ups
//
// Besides list look-ups, the Resolver answers plain record queries (A,
// AAAA, TXT, MX, NS, PTR) with the same servers, cache and timeout, for
// the SpamAssassin network rules (DNSBL, URIBL, AskDNS, DKIM, SPF, DMARC).
// Their errors are *net.DNSError like the standard library's, so the SPF
// and DKIM libraries can tell "no such record" (IsNotFound) from a
// temporary failure (IsTemporary / IsTimeout).

// recordsOf returns the answer records of type qtype for name, cached for
// their TTL.
func (r *Resolver) recordsOf(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	qname := dns.Fqdn(strings.ToLower(name))
	key := dns.TypeToString[qtype] + " " + qname
	if rrs, err, ok := r.records.get(key, time.Now()); ok {
		return rrs, err
	}
	v, err, _ := r.flight.Do(key, func() (any, error) {
		rrs, ttl, err := r.queryRecords(ctx, qname, qtype)
		var dnsErr *net.DNSError
		if err == nil || errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			r.records.put(key, rrs, err, time.Now().Add(ttl))
		}
		return rrs, err
	})
	rrs, _ := v.([]dns.RR)
	return rrs, err
}

func (r *Resolver) queryRecords(ctx context.Context, qname string, qtype uint16) ([]dns.RR, time.Duration, error) {
	msg, err := r.exchange(ctx, qname, qtype)
	if err != nil {
		timeout := errors.Is(err, context.DeadlineExceeded) || isTimeout(err)
		return nil, 0, &net.DNSError{Err: err.Error(), Name: qname, IsTimeout: timeout, IsTemporary: true}
	}
	switch msg.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, clampTTL(negTTL(msg)), &net.DNSError{Err: "no such host", Name: qname, IsNotFound: true}
	default:
		return nil, 0, &net.DNSError{Err: dns.RcodeToString[msg.Rcode], Name: qname, IsTemporary: true}
	}
	var out []dns.RR
	ttl := maxTTL
	for _, rr := range msg.Answer {
		if rr.Header().Rrtype != qtype {
			continue // CNAME chains are followed by the resolver
		}
		out = append(out, rr)
		ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
	}
	if len(out) == 0 {
		return nil, clampTTL(negTTL(msg)), &net.DNSError{Err: "no such record", Name: qname, IsNotFound: true}
	}
	return out, clampTTL(ttl), nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// LookupA returns the IPv4 addresses of name.
func (r *Resolver) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	return r.addrs(ctx, name, dns.TypeA)
}

// LookupAAAA returns the IPv6 addresses of name.
func (r *Resolver) LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error) {
	return r.addrs(ctx, name, dns.TypeAAAA)
}

func (r *Resolver) addrs(ctx context.Context, name string, qtype uint16) ([]netip.Addr, error) {
	rrs, err := r.recordsOf(ctx, name, qtype)
	var out []netip.Addr
	for _, rr := range rrs {
		var ip net.IP
		switch rr := rr.(type) {
		case *dns.A:
			ip = rr.A.To4()
		case *dns.AAAA:
			ip = rr.AAAA
		}
		if a, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, a)
		}
	}
	return out, err
}

// LookupTXT returns the TXT records of name, each record's strings joined
// (RFC 7208 3.3, RFC 6376 3.6.2.2).
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.recordsOf(ctx, name, dns.TypeTXT)
	var out []string
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, err
}

// LookupMX returns the mail exchangers of name.
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	rrs, err := r.recordsOf(ctx, name, dns.TypeMX)
	var out []*net.MX
	for _, rr := range rrs {
		if m, ok := rr.(*dns.MX); ok {
			out = append(out, &net.MX{Host: m.Mx, Pref: m.Preference})
		}
	}
	return out, err
}

// LookupNS returns the name servers of name.
func (r *Resolver) LookupNS(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.recordsOf(ctx, name, dns.TypeNS)
	var out []string
	for _, rr := range rrs {
		if n, ok := rr.(*dns.NS); ok {
			out = append(out, n.Ns)
		}
	}
	return out, err
}

// LookupAddr returns the PTR names of ip.
func (r *Resolver) LookupAddr(ctx context.Context, ip netip.Addr) ([]string, error) {
	rev, err := dns.ReverseAddr(ip.Unmap().String())
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: ip.String()}
	}
	rrs, err := r.recordsOf(ctx, rev, dns.TypePTR)
	var out []string
	for _, rr := range rrs {
		if p, ok := rr.(*dns.PTR); ok {
			out = append(out, p.Ptr)
		}
	}
	return out, err
}
