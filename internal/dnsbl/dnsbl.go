// Package dnsbl looks up IP addresses and domain names in DNS block lists
// (DNSBL, RHSBL, URIBL) with a cache, a timeout, and the error answers that
// list operators use told apart from real listings.
//
// # Query format
//
// An IPv4 address a.b.c.d is looked up as d.c.b.a.<zone> A; an IPv6 address
// as its 32 reversed nibbles (RFC 5782 2.4). A name is looked up as
// <name>.<zone> (RFC 5782 3). An A answer in 127.0.0.0/8 is a listing and
// its last octets say why (per zone: Spamhaus ZEN 127.0.0.2 = SBL, .4 = XBL,
// .10 = PBL); a TXT record, when present, carries the operator's text.
//
// # Error answers
//
// QUIRK: operators answer some queries with addresses that are not
// listings: Spamhaus returns 127.255.255.252 (typo in the zone),
// 127.255.255.254 (query through a public resolver) and 127.255.255.255
// (excessive queries); URIBL answers 127.0.0.1 to a refused name query.
// RFC 5782 5 says anything outside 127.0.0.0/8 is not a valid listing.
// All of these are returned as errors (ErrBadAnswer), never as listings, so a
// blocked resolver cannot make every client look listed.
//
// Timeouts, SERVFAIL and network errors are errors too; callers fail open.
package dnsbl

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"
)

// Errors returned by look-ups.
var (
	// ErrBadAnswer: the list answered with an error code, not a listing.
	ErrBadAnswer = errors.New("dnsbl: error answer from list")
	// ErrNoServers: no resolver configured.
	ErrNoServers = errors.New("dnsbl: no DNS servers")
)

// Result is the outcome of one look-up.
type Result struct {
	Zone   string
	Query  string       // the name queried
	Listed bool         // true when at least one valid listing code came back
	Codes  []netip.Addr // the 127.x.y.z answers (listings only)
	Text   string       // TXT record, if the list gave one
	TTL    time.Duration
}

// Has reports whether one of the codes equals code (e.g. "127.0.0.2").
func (r Result) Has(code netip.Addr) bool {
	for _, c := range r.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// Resolver queries block lists. It is safe for concurrent use.
type Resolver struct {
	servers []string
	timeout time.Duration
	cache   *cache[Result]
	records *cache[[]dns.RR]   // LookupA, LookupTXT, ... (records.go)
	flight  singleflight.Group // one query per name at a time
}

// New returns a Resolver querying servers (host:port) in order; empty means
// the nameservers of /etc/resolv.conf. timeout bounds each query to each
// server (default 5 s).
func New(servers []string, timeout time.Duration) *Resolver {
	if len(servers) == 0 {
		if cc, err := dns.ClientConfigFromFile("/etc/resolv.conf"); err == nil {
			for _, s := range cc.Servers {
				servers = append(servers, netJoin(s, cc.Port))
			}
		}
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &Resolver{servers: servers, timeout: timeout, cache: newCache[Result](maxCacheEntries), records: newCache[[]dns.RR](maxCacheEntries)}
}

func netJoin(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// ReverseName returns the query name of ip in zone (RFC 5782 2.1, 2.4).
func ReverseName(ip netip.Addr, zone string) string {
	ip = ip.Unmap()
	var b strings.Builder
	if ip.Is4() {
		a := ip.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.", a[3], a[2], a[1], a[0])
	} else {
		a := ip.As16()
		const hex = "0123456789abcdef"
		for i := 15; i >= 0; i-- {
			b.WriteByte(hex[a[i]&0xf])
			b.WriteByte('.')
			b.WriteByte(hex[a[i]>>4])
			b.WriteByte('.')
		}
	}
	b.WriteString(dns.Fqdn(strings.ToLower(zone)))
	return b.String()
}

// Lookup looks ip up in zone. A timeout or error answer is an error; the
// caller decides (policy fails open).
func (r *Resolver) Lookup(ctx context.Context, ip netip.Addr, zone string) (Result, error) {
	if !ip.IsValid() {
		return Result{}, fmt.Errorf("dnsbl: invalid IP")
	}
	return r.lookup(ctx, ReverseName(ip, zone), zone, false)
}

// LookupName looks a domain name up in a name-based list (RHSBL, URIBL).
func (r *Resolver) LookupName(ctx context.Context, name, zone string) (Result, error) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == "" || strings.ContainsAny(name, " \t\r\n") {
		return Result{}, fmt.Errorf("dnsbl: bad name %q", name)
	}
	return r.lookup(ctx, name+"."+dns.Fqdn(strings.ToLower(zone)), zone, true)
}

// LookupZones looks ip up in every zone at once and returns the results in
// zone order; errs[i] is the error of zones[i].
func (r *Resolver) LookupZones(ctx context.Context, ip netip.Addr, zones []string) ([]Result, []error) {
	res := make([]Result, len(zones))
	errs := make([]error, len(zones))
	done := make(chan struct{}, len(zones))
	for i, z := range zones {
		go func() {
			res[i], errs[i] = r.Lookup(ctx, ip, z)
			done <- struct{}{}
		}()
	}
	for range zones {
		<-done
	}
	return res, errs
}

func (r *Resolver) lookup(ctx context.Context, qname, zone string, byName bool) (Result, error) {
	if res, err, ok := r.cache.get(qname, time.Now()); ok {
		return res, err
	}
	v, err, _ := r.flight.Do(qname, func() (any, error) {
		res, err := r.query(ctx, qname, zone, byName)
		if err == nil || errors.Is(err, ErrBadAnswer) {
			ttl := res.TTL
			if err != nil {
				ttl = errorTTL
			}
			r.cache.put(qname, res, err, time.Now().Add(ttl))
		}
		return res, err
	})
	return v.(Result), err
}
