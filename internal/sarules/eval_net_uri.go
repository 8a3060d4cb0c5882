package sarules

import (
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// # URIDNSBL: URI block lists
//
// check_uridnsbl(RULE) hits when a host named in the message's URIs is
// listed in RULE's zone (uridnsbl, uridnssub, urirhsbl, urirhssub in
// conf_net.go). urirhs* lists are asked for the host's registrable
// domain ("www.spam.example.co.uk" → "spam.example.co.uk.multi.uribl.com");
// uridns* lists for the addresses of the domain's name servers, or with
// tflags a of the host itself. A host that is an IP literal is asked
// reversed (RFC 5782 2.1), except by domains_only rules. Domains listed
// in uridnsbl_skip_domain are never asked about. tflags notrim asks for
// the full host name too.
//
// The registrable domain comes from util_rb_3tld, util_rb_2tld,
// util_rb_tld, and then the public suffix list.

// maxURIDomains is SpamAssassin's uridnsbl_max_domains default.
const maxURIDomains = 20

// maxNSHosts bounds the name servers whose addresses are looked up per
// domain (SpamAssassin asks for all; two are enough to find a listing
// and keep a domain with many name servers from fanning out).
const maxNSHosts = 2

type uriHost struct {
	host, domain string
	ip           netip.Addr
}

func (p *pms) planURIBL(pl *netPlan) {
	var hosts []uriHost
	planned := false
	for _, r := range pl.uribl {
		def := p.rs.net.uribl[uriblName(r)]
		if def == nil || !r.runs(p.set) {
			continue
		}
		if !planned {
			hosts, planned = p.uriHosts(), true
		}
		tf := " " + r.Tflags + " "
		domainsOnly, ipsOnly := strings.Contains(tf, " domains_only "), strings.Contains(tf, " ips_only ")
		owner := "rule:" + uriblName(r)
		for _, h := range hosts {
			switch {
			case h.ip.IsValid():
				if !domainsOnly {
					p.net.query(owner, def.qtype, reverseIP(h.ip)+"."+def.zone, def.rhs)
				}
			case ipsOnly:
			case def.rhs:
				p.net.query(owner, def.qtype, h.domain+"."+def.zone, true)
				if strings.Contains(tf, " notrim ") && h.host != h.domain {
					p.net.query(owner, def.qtype, h.host+"."+def.zone, true)
				}
			default:
				p.uriIPChain(owner, def, h, strings.Contains(tf, " a "))
			}
		}
	}
}

// uriIPChain looks up the addresses of h's name servers (or with byA of
// h itself) and then those addresses in def's zone.
func (p *pms) uriIPChain(owner string, def *uriblDef, h uriHost, byA bool) {
	n := p.net
	n.goNet(func() {
		var addrs []string
		if byA {
			addrs = n.lookupNow("uri-a", "A", h.host)
		} else {
			ns := n.lookupNow("uri-ns", "NS", h.domain)
			for _, s := range ns[:min(len(ns), maxNSHosts)] {
				addrs = append(addrs, n.lookupNow("uri-ns-a", "A", s)...)
			}
		}
		for _, s := range addrs {
			if a, err := netip.ParseAddr(s); err == nil && !isPrivateIP(s) && !a.IsLoopback() {
				n.query(owner, def.qtype, reverseIP(a)+"."+def.zone, false)
			}
		}
	})
}

func uriblName(r *Rule) string {
	if len(r.EvalArgs) > 0 && r.EvalArgs[0] != "" {
		return r.EvalArgs[0]
	}
	return r.Name
}

// uriHosts lists the distinct hosts of the message's URIs, at most
// maxURIDomains registrable domains, skipping uridnsbl_skip_domain.
func (p *pms) uriHosts() []uriHost {
	var out []uriHost
	domains := map[string]bool{}
	for _, t := range p.uris {
		host := uriHostOf(t.s)
		if host == "" {
			continue
		}
		h := uriHost{host: host}
		if a, err := netip.ParseAddr(host); err == nil {
			if isPrivateIP(host) || a.IsLoopback() {
				continue
			}
			h.ip, h.domain = a.Unmap(), host
		} else {
			h.domain = p.rs.uriDomain(host)
			if p.rs.net.skip[h.domain] || p.rs.net.skip[host] {
				continue
			}
		}
		if domains[h.host] {
			continue
		}
		if !domains[h.domain] && len(domains) >= maxURIDomains {
			break
		}
		domains[h.domain], domains[h.host] = true, true
		out = append(out, h)
	}
	return out
}

// uriHostOf returns the lower-case host of a URI ("" for mailto: and
// hosts that are not names or IPv4 literals).
func uriHostOf(u string) string {
	low := strings.ToLower(strings.TrimSpace(u))
	if strings.HasPrefix(low, "mailto:") {
		return ""
	}
	if i := strings.Index(low, "://"); i >= 0 {
		low = low[i+3:]
	}
	if i := strings.IndexAny(low, "/?#\\"); i >= 0 {
		low = low[:i]
	}
	if i := strings.LastIndexByte(low, '@'); i >= 0 {
		low = low[i+1:]
	}
	if i := strings.IndexByte(low, ':'); i >= 0 {
		low = low[:i]
	}
	low = strings.Trim(low, ".")
	if !strings.Contains(low, ".") || len(low) > 253 {
		return ""
	}
	for _, c := range low {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return ""
		}
	}
	return low
}

// uriDomain is the registrable domain of host (RegistryBoundaries'
// trim_domain), with the public suffix list after the util_rb_* lists.
func (rs *Ruleset) uriDomain(host string) string {
	labels := strings.Split(host, ".")
	n := len(labels)
	keep := 0
	switch {
	case n >= 3 && rs.tld3[strings.Join(labels[n-3:], ".")]:
		keep = 4
	case n >= 2 && rs.tld2[strings.Join(labels[n-2:], ".")]:
		keep = 3
	case rs.net.tld[labels[n-1]]:
		keep = 2
	}
	if keep == 0 {
		if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
			return d
		}
		keep = 2
	}
	if n <= keep {
		return host
	}
	return strings.Join(labels[n-keep:], ".")
}

var uriblEvals = map[string]evalFunc{
	"check_uridnsbl": func(p *pms, r *Rule, a []string) int {
		def := p.rs.net.uribl[uriblName(r)]
		if def == nil {
			return 0
		}
		return btoi(p.netHits("rule:"+uriblName(r), def.sub))
	},
}

// uriHostEvals are WLBLEval's URI host lists.
var uriHostEvals = map[string]evalFunc{
	"check_uri_host_listed": func(p *pms, r *Rule, a []string) int {
		return btoi(len(a) > 0 && p.uriHostsListed()[a[0]])
	},
	"check_uri_host_in_blocklist":   func(p *pms, r *Rule, a []string) int { return btoi(p.uriHostsListed()["BLOCK"]) },
	"check_uri_host_in_blacklist":   func(p *pms, r *Rule, a []string) int { return btoi(p.uriHostsListed()["BLOCK"]) },
	"check_uri_host_in_welcomelist": func(p *pms, r *Rule, a []string) int { return btoi(p.uriHostsListed()["WELCOME"]) },
	"check_uri_host_in_whitelist":   func(p *pms, r *Rule, a []string) int { return btoi(p.uriHostsListed()["WELCOME"]) },
}

// uriHostsListed is WLBLEval's _check_uri_host_listed: the URI host lists
// that list a host of the message's URIs (mailto: aside). A host is
// looked up as is and then without one leading label at a time
// (sub.example.com, example.com, com; the last 11 at most); the first
// entry found decides, and a "!host" entry is no match.
func (p *pms) uriHostsListed() map[string]bool {
	if p.uriListed != nil {
		return p.uriListed
	}
	p.uriListed = map[string]bool{}
	if len(p.rs.uriHostLists) == 0 {
		return p.uriListed
	}
	seen := map[string]bool{}
	for _, t := range p.uris {
		host := uriHostOf(t.s)
		if host == "" || seen[host] {
			continue
		}
		seen[host] = true
		var keys []string
		if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			keys = []string{host[1 : len(host)-1]}
		} else if _, err := netip.ParseAddr(host); err == nil {
			keys = []string{host}
		} else {
			for h := host; ; {
				keys = append(keys, h)
				i := strings.IndexByte(h, '.')
				if i < 0 {
					break
				}
				h = h[i+1:]
			}
			if len(keys) > 11 {
				keys = keys[len(keys)-11:]
			}
		}
		for name, l := range p.rs.uriHostLists {
			for _, k := range keys {
				if v, ok := l[k]; ok {
					if v {
						p.uriListed[name] = true
					}
					break
				}
			}
		}
	}
	return p.uriListed
}
