package deliver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"mailwall/internal/queue"
)

// # MX delivery (RFC 5321 5.1)
//
// The recipients' domain is looked up for MX records; hosts are tried in
// order of preference, equal preferences in random order. With no MX
// record the domain itself is the one host (implicit MX). A "null MX"
// (RFC 7505: a single MX with target ".") means the domain takes no mail:
// a permanent failure. Each host's A and AAAA addresses are tried in turn
// until one answers; a connection or greeting failure moves on to the next
// address. Once MAIL FROM was sent the result is final for this attempt.
// An IP literal domain ("user@[192.0.2.1]") is delivered to directly.

// maxMXAddrs bounds the addresses tried in one attempt, so a domain with
// hundreds of MX records cannot keep one delivery busy for hours.
const maxMXAddrs = 10

// errPermanentDNS marks a DNS answer that says the domain takes no mail.
var errPermanentDNS = errors.New("domain does not accept mail")

func (d *Deliverer) viaMX(ctx context.Context, from string, rcpts []string, msg io.Reader) []queue.Result {
	domain := strings.ToLower(rcpts[0][strings.LastIndexByte(rcpts[0], '@')+1:])
	var addrs []target
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		lit := strings.TrimPrefix(strings.Trim(domain, "[]"), "ipv6:")
		if net.ParseIP(lit) == nil {
			return d.permanent(rcpts, "5.1.2", "invalid address literal")
		}
		addrs = []target{{ip: lit, host: lit}}
	} else {
		var err error
		addrs, err = d.mxAddrs(ctx, domain)
		if errors.Is(err, errPermanentDNS) {
			return d.permanent(rcpts, "5.1.10", err.Error())
		}
		if err != nil {
			return failAll(rcpts, err, false)
		}
	}
	var res []queue.Result
	for _, a := range addrs[:min(len(addrs), maxMXAddrs)] {
		h := hop{kind: "smtp", network: "tcp", addr: net.JoinHostPort(a.ip, strconv.Itoa(d.o.MXPort)), host: a.host}
		var retry bool
		res, retry = d.session(ctx, h, from, rcpts, msg)
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return res
}

func (d *Deliverer) permanent(rcpts []string, enh, text string) []queue.Result {
	res := make([]queue.Result, len(rcpts))
	for i, r := range rcpts {
		res[i] = queue.Result{Rcpt: r, Code: 550, Enhanced: enh, Text: text, Err: fmt.Errorf("%s: %s", r, text), Permanent: true}
	}
	return res
}

// target is one address of a mail host; host is its name, used as the TLS
// server name.
type target struct{ ip, host string }

// mxAddrs returns the addresses to try for domain, best first.
func (d *Deliverer) mxAddrs(ctx context.Context, domain string) ([]target, error) {
	ans, rcode, err := d.query(ctx, domain, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	if rcode == dns.RcodeNameError {
		return nil, fmt.Errorf("%s: no such domain: %w", domain, errPermanentDNS)
	}
	var mxs []*dns.MX
	for _, rr := range ans {
		if mx, ok := rr.(*dns.MX); ok {
			mxs = append(mxs, mx)
		}
	}
	if len(mxs) == 1 && mxs[0].Mx == "." {
		return nil, fmt.Errorf("%s: null MX (RFC 7505): %w", domain, errPermanentDNS)
	}
	rand.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	slices.SortStableFunc(mxs, func(a, b *dns.MX) int { return int(a.Preference) - int(b.Preference) })
	hosts := []string{domain} // RFC 5321 5.1: implicit MX
	if len(mxs) > 0 {
		hosts = hosts[:0]
		for _, mx := range mxs {
			hosts = append(hosts, mx.Mx)
		}
	}
	var addrs []target
	var lastErr error
	for _, h := range hosts {
		for _, t := range []uint16{dns.TypeAAAA, dns.TypeA} {
			ans, _, err := d.query(ctx, h, t)
			if err != nil {
				lastErr = err
				continue
			}
			for _, rr := range ans {
				switch a := rr.(type) {
				case *dns.A:
					addrs = append(addrs, target{a.A.String(), strings.TrimSuffix(h, ".")})
				case *dns.AAAA:
					addrs = append(addrs, target{a.AAAA.String(), strings.TrimSuffix(h, ".")})
				}
			}
		}
		if len(addrs) >= maxMXAddrs {
			break
		}
	}
	if len(addrs) == 0 {
		if lastErr != nil {
			return nil, lastErr
		}
		return nil, fmt.Errorf("%s: no address for any mail host", domain)
	}
	return addrs, nil
}

// query asks the configured servers in turn; a truncated UDP answer is
// asked again over TCP (RFC 7766).
func (d *Deliverer) query(ctx context.Context, name string, t uint16) ([]dns.RR, int, error) {
	servers := d.o.DNSServers
	if len(servers) == 0 {
		servers = systemResolvers()
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), t)
	m.RecursionDesired = true
	var lastErr error
	for _, s := range servers {
		for _, network := range []string{"udp", "tcp"} {
			c := &dns.Client{Net: network, Timeout: min(d.o.Timeout, dnsTimeout)}
			r, _, err := c.ExchangeContext(ctx, m, s)
			if err != nil {
				lastErr = fmt.Errorf("DNS %s %s at %s: %w", dns.TypeToString[t], name, s, err)
				break
			}
			if r.Truncated && network == "udp" {
				continue
			}
			if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
				lastErr = fmt.Errorf("DNS %s %s at %s: %s", dns.TypeToString[t], name, s, dns.RcodeToString[r.Rcode])
				break
			}
			return r.Answer, r.Rcode, nil
		}
	}
	return nil, 0, lastErr
}
