package sarules

import (
	"net/netip"
	"regexp"
	"strings"
)

// # AskDNS
//
// "askdns RULE QUERY TYPE SUBTEST" asks QUERY after replacing its
// placeholders with values from the message, and hits when an answer
// passes SUBTEST (any answer without one). A placeholder without a value
// (no DKIM signature, no external relay) means no query and no hit.
//
//	_AUTHORDOMAIN_        domains of the From addresses
//	_SENDERDOMAIN_        domain of the envelope sender
//	_DKIMDOMAIN_          domains of the valid DKIM signatures
//	_LASTEXTERNALIP_      address of the relay that handed us the message
//	_LASTEXTERNALREVIP_   the same, reversed for DNSBL-style queries
//	_LASTEXTERNALRDNS_    its reverse DNS name
//	_LASTEXTERNALHELO_    its HELO name

// askdnsPlaceholders are expanded when a Check starts; _DKIMDOMAIN_ once
// DKIM is verified (planAuth).
var askdnsPlaceholders = []string{"_AUTHORDOMAIN_", "_SENDERDOMAIN_",
	"_LASTEXTERNALIP_", "_LASTEXTERNALREVIP_", "_LASTEXTERNALRDNS_", "_LASTEXTERNALHELO_"}

// planAskdns starts the askdns look-ups; with afterDKIM only those that
// need _DKIMDOMAIN_ (called once DKIM is verified), else the others.
func (p *pms) planAskdns(pl *netPlan, afterDKIM bool) {
	for _, r := range pl.askdns {
		def := p.rs.net.askdns[r.Name]
		if def == nil || !r.runs(p.set) || strings.Contains(def.query, "_DKIMDOMAIN_") != afterDKIM {
			continue
		}
		for _, q := range p.askdnsQueries(def.query) {
			p.net.query("rule:"+r.Name, def.qtype, q, true)
		}
	}
}

// askdnsQueries expands the placeholders of query into the names to ask.
func (p *pms) askdnsQueries(query string) []string {
	names := []string{query}
	for _, ph := range askdnsPlaceholders {
		if !strings.Contains(query, ph) {
			continue
		}
		vals := p.askdnsValues(ph)
		var next []string
		for _, n := range names {
			for _, v := range vals {
				if v = strings.Trim(strings.ToLower(v), "."); v != "" && !strings.ContainsAny(v, " \t\r\n") {
					next = append(next, strings.ReplaceAll(n, ph, v))
				}
			}
		}
		names = next
	}
	return names
}

func (p *pms) askdnsValues(ph string) []string {
	domainOf := func(addr string) string {
		if i := strings.LastIndexByte(addr, '@'); i >= 0 {
			return addr[i+1:]
		}
		return ""
	}
	switch ph {
	case "_AUTHORDOMAIN_":
		var out []string
		for _, a := range p.getList("From:addr") {
			out = append(out, domainOf(a))
		}
		return out
	case "_SENDERDOMAIN_":
		return []string{domainOf(p.mailFrom())}
	}
	ri := p.relays()
	if len(ri.untrusted) == 0 {
		return nil
	}
	last := ri.untrusted[0]
	switch ph {
	case "_LASTEXTERNALIP_":
		return []string{last.ip}
	case "_LASTEXTERNALREVIP_":
		if a, err := netip.ParseAddr(last.ip); err == nil {
			return []string{reverseIP(a)}
		}
	case "_LASTEXTERNALRDNS_":
		return []string{last.rdns}
	case "_LASTEXTERNALHELO_":
		return []string{last.helo}
	}
	return nil
}

// anyAnswerRe is the subtest of an askdns rule without one.
var anyAnswerRe = regexp.MustCompile(``)

var askdnsEvals = map[string]evalFunc{
	"check_askdns": func(p *pms, r *Rule, a []string) int {
		def := p.rs.net.askdns[r.Name]
		if def == nil {
			return 0
		}
		t := def.sub
		if t == nil {
			t = &subtest{re: anyAnswerRe}
		}
		return btoi(p.netHits("rule:"+r.Name, t))
	},
}
