package sarules

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// # DNSEval: IP and sender block lists
//
// check_rbl(SET, ZONE[, SUBTEST]) looks the relays' addresses up in ZONE
// (reversed octets, RFC 5782 2.1); check_rbl_txt asks for TXT instead of
// A. SET names the answers for check_rbl_sub(SET, SUBTEST) rules, and its
// suffix picks the addresses, as DNSEval.pm does:
//
//	(none)          every untrusted relay and X-Originating-IP style
//	                header, first hop of the message first
//	-lastexternal   only the relay that handed the message to us
//	-firsttrusted   the same relay, for allow lists (DNSWL)
//	-untrusted      every untrusted relay except that one
//	-notfirsthop    every untrusted relay except the message's origin
//
// Private and reserved addresses are never looked up; addresses in
// trusted_networks are skipped unless the rule is tflags nice.
// check_rbl_envfrom, check_rbl_from_host and check_rbl_from_domain look
// up the envelope sender's or the From addresses' domains instead.

// numCheckReceived is SpamAssassin's num_check_received default.
const numCheckReceived = 9

var rblQueryEvals = map[string]bool{
	"check_rbl": true, "check_rbl_txt": true, "check_rbl_envfrom": true,
	"check_rbl_from_host": true, "check_rbl_from_domain": true, "check_rbl_headers": true,
}

var originIPRe = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)

func (p *pms) planRBL(pl *netPlan) {
	for _, r := range pl.rbl {
		if !r.runs(p.set) || len(r.EvalArgs) < 2 {
			continue
		}
		set, zone := r.EvalArgs[0], strings.TrimSuffix(r.EvalArgs[1], ".")
		qtype := "A"
		if r.Eval == "check_rbl_txt" {
			qtype = "TXT"
		}
		var names []string
		byName := false
		switch r.Eval {
		case "check_rbl", "check_rbl_txt":
			for _, ip := range p.rblIPs(set, r.Nice) {
				names = append(names, reverseIP(ip)+"."+zone)
			}
		case "check_rbl_envfrom":
			names, byName = hostQueries([]string{p.mailFrom()}, zone), true
		case "check_rbl_headers":
			hdrs := "EnvelopeFrom,Reply-To,Disposition-Notification-To"
			if len(r.EvalArgs) > 3 {
				hdrs = r.EvalArgs[3]
			}
			var addrs []string
			for _, h := range strings.Split(hdrs, ",") {
				addrs = append(addrs, p.getList(strings.TrimSpace(h)+":addr")...)
			}
			names, byName = hostQueries(addrs, zone), true
		default: // check_rbl_from_host, check_rbl_from_domain
			names, byName = hostQueries(p.getList("From:addr"), zone), true
		}
		for _, name := range names {
			p.net.query("rule:"+r.Name, qtype, name, byName)
			p.net.query("set:"+set, qtype, name, byName)
		}
	}
}

// hostQueries are the "domain.zone" names of the addresses' domains.
func hostQueries(addrs []string, zone string) []string {
	var out []string
	for _, a := range addrs {
		i := strings.LastIndexByte(a, '@')
		if i < 0 {
			continue
		}
		host := strings.ToLower(strings.Trim(a[i+1:], ". \t>"))
		for strings.Contains(host, "..") {
			host = strings.ReplaceAll(host, "..", ".")
		}
		if !strings.Contains(host, ".") || strings.ContainsAny(host, " \t\r\n") {
			continue
		}
		if q := host + "." + zone; !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out
}

// rblIPs picks the addresses SET's suffix asks for (DNSEval.pm
// parsed_metadata and check_rbl_backend): the untrusted relays, or for
// -lastexternal and -notfirsthop the external ones (trusted relays
// outside internal_networks too).
func (p *pms) rblIPs(set string, nice bool) []netip.Addr {
	ri := p.relays()
	trusted := ri.rblTrusted
	addrs := func(list []*relay) []netip.Addr {
		var out []netip.Addr
		for _, rl := range list {
			if a, err := netip.ParseAddr(rl.ip); err == nil {
				out = append(out, a.Unmap())
			}
		}
		return out
	}
	full := addrs(ri.untrusted)
	var external []*relay
	for _, rl := range ri.trusted {
		if !rl.internal {
			external = append(external, rl)
		}
	}
	fullExternal := addrs(append(external, ri.untrusted...))
	var orig []netip.Addr
	for _, h := range originatingIPHeaders {
		for _, v := range headerValues(p.m.Header, h, false) {
			for _, s := range originIPRe.FindAllString(v, -1) {
				if a, err := netip.ParseAddr(s); err == nil && !trusted.contains(a) {
					orig = append(orig, a)
				}
			}
		}
	}
	ips := publicUniq(full)
	if len(ips)+len(orig) == 0 {
		return nil
	}
	switch {
	case strings.HasSuffix(set, "-lastexternal"):
		ips = publicUniq(fullExternal)
		ips = ips[:min(1, len(ips))]
	case strings.HasSuffix(set, "-notfirsthop"):
		ips = publicUniq(fullExternal)
		if len(ips) > 1 {
			ips = ips[:len(ips)-1]
		}
	case strings.HasSuffix(set, "-firsttrusted"):
		ips = publicUniq(append(ips, orig...))
		ips = ips[:min(1, len(ips))]
	case strings.HasSuffix(set, "-untrusted"):
		ips = publicUniq(append(ips, orig...))
		if len(ips) > 0 {
			ips = ips[1:]
		}
	default:
		ips = publicUniq(append(ips, orig...))
		slices.Reverse(ips)
	}
	if len(ips) > numCheckReceived {
		ips = ips[:numCheckReceived]
	}
	if !nice {
		for len(ips) > 0 && trusted.contains(ips[0]) {
			ips = ips[1:]
		}
	}
	return ips
}

// publicUniq drops private and reserved addresses and duplicates,
// keeping the order.
func publicUniq(list []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range list {
		if !isPrivateIP(a.String()) && !a.IsLoopback() && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// mailFrom is the envelope sender: the caller's Envelope, else what the
// headers say (get EnvelopeFrom).
func (p *pms) mailFrom() string {
	if e := p.o.Envelope; e != nil {
		return e.MailFrom
	}
	return p.envelopeFrom()
}

// subtestOf parses a rule's subtest argument once per Ruleset.
func (p *pms) subtestOf(src string) *subtest {
	if v, ok := p.rs.net.subtests.Load(src); ok {
		return v.(*subtest)
	}
	t := parseSubtest(src)
	p.rs.net.subtests.Store(src, t)
	return t
}

func evalRBL(p *pms, r *Rule, a []string) int {
	var t *subtest
	if len(a) > 2 && a[2] != "" {
		t = p.subtestOf(a[2])
	}
	return btoi(p.netHits("rule:"+r.Name, t))
}

var dnsblEvals = map[string]evalFunc{
	"check_rbl":             evalRBL,
	"check_rbl_txt":         evalRBL,
	"check_rbl_envfrom":     evalRBL,
	"check_rbl_from_host":   evalRBL,
	"check_rbl_from_domain": evalRBL,
	"check_rbl_headers":     evalRBL,
	"check_rbl_sub": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		return btoi(p.netHits("set:"+a[0], p.subtestOf(a[1])))
	},
}
