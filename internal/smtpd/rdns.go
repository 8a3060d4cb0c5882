package smtpd

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

// Resolver looks up client host names. nil disables look-ups.
type Resolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// NewResolver returns a resolver that asks servers (host:port) in turn, or
// the system's resolvers when servers is empty.
func NewResolver(servers []string) *net.Resolver {
	if len(servers) == 0 {
		return net.DefaultResolver
	}
	var next atomic.Uint32 // Dial runs concurrently (A and AAAA at once)
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			s := servers[int(next.Add(1)-1)%len(servers)]
			var d net.Dialer
			return d.DialContext(ctx, network, s)
		},
	}
}

// confirmedName returns the client's forward-confirmed reverse DNS name
// (FCrDNS): a PTR name whose A/AAAA records include ip. "" when there is
// none or the look-up fails or times out: a missing name is "unknown" in
// the Received header and never blocks the client.
func confirmedName(ctx context.Context, r Resolver, ip netip.Addr, timeout time.Duration) string {
	if r == nil || !ip.IsValid() {
		return ""
	}
	if ip.IsLoopback() {
		return "localhost" // never worth a query
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	names, err := r.LookupAddr(ctx, ip.String())
	if err != nil {
		return ""
	}
	for i, name := range names {
		if i == 3 { // a client with many PTR records gets three tries
			break
		}
		name = strings.TrimSuffix(name, ".")
		addrs, err := r.LookupNetIP(ctx, "ip", name)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if a.Unmap() == ip {
				return strings.ToLower(name)
			}
		}
	}
	return ""
}
