package sarules

import (
	"regexp"
	"strings"
)

// VBounce's evals: have_any_bounce_relays and
// check_welcomelist_bounce_relays (check_whitelist_bounce_relays), over
// the welcomelist_bounce_relays (whitelist_bounce_relays) hosts.
var vbounceEvals = map[string]evalFunc{
	"have_any_bounce_relays": func(p *pms, r *Rule, a []string) int {
		return btoi(len(p.rs.bounceRelays()) > 0)
	},
	"check_welcomelist_bounce_relays": checkBounceRelays,
	"check_whitelist_bounce_relays":   checkBounceRelays,
}

// bounceRelays are the welcomelist_bounce_relays globs, lower case.
func (rs *Ruleset) bounceRelays() []string {
	if l := rs.addrLists["welcomelist_bounce_relays"]; l != nil {
		return *l
	}
	return nil
}

var (
	bounceRcvdLineRe = regexp.MustCompile(`(?i)^[> ]*Received:`)
	// / (\S+\.\S+) /g and /\s(\S+\.\S+)\s/gs, \s and \S Perl's
	bounceRelayRe   = regexp.MustCompile(` ([^\t\n\v\f\r ]+\.[^\t\n\v\f\r ]+) `)
	bounceRelayWSRe = regexp.MustCompile(`[\t\n\v\f\r ]([^\t\n\v\f\r ]+\.[^\t\n\v\f\r ]+)[\t\n\v\f\r ]`)
	bounceAnyRcvdRe = regexp.MustCompile(`(?i)Received:`)
)

// checkBounceRelays is VBounce's check_welcomelist_bounce_relays: a
// welcomelisted relay in a Received header quoted in the body, as
// rendered, or in the body as it is (folded headers joined).
func checkBounceRelays(p *pms, r *Rule, a []string) int {
	list := p.rs.bounceRelays()
	if len(list) == 0 {
		return 0
	}
	for _, line := range p.m.body {
		if !bounceRcvdLineRe.MatchString(line) {
			continue
		}
		if bounceRelayListed(bounceRelayRe, line, list) {
			return 1
		}
	}
	_, body, _ := splitHeader(p.m.Raw)
	if !bounceAnyRcvdRe.Match(body) {
		return 0
	}
	found := false
	full := ""
	// /^(.*)$/gm: every line, without its newline
	for _, line := range strings.Split(string(body), "\n") {
		if !found {
			if !bounceRcvdLineRe.MatchString(line) {
				continue
			}
			found = true
		}
		if line != "" && isSpaceByte(line[0]) {
			full += line
		} else {
			full = line
		}
		if !bounceRcvdLineRe.MatchString(full) {
			continue
		}
		if bounceRelayListed(bounceRelayWSRe, full, list) {
			return 1
		}
	}
	return 0
}

// bounceRelayListed runs re's matches over s (as a /g loop: each match
// starts after the previous one) and reports whether a captured relay
// is in list.
func bounceRelayListed(re *regexp.Regexp, s string, list []string) bool {
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		relay := lowerASCII(m[1])
		for _, pat := range list {
			if globMatch(pat, relay) {
				return true
			}
		}
	}
	return false
}

// saMailRe is Util.pm's $header_address_mailre, anchored: what its
// address parser takes for an address (a quoted or plain local part, "@",
// a plain or bracketed IP domain). parseAddrs (get.go) holds the
// addresses it digs out of an element it cannot parse to it:
// FROM_ADDR_WS, which VBounce's evals make active, sees the difference.
var saMailRe = regexp.MustCompile(`^(?:"(?:[^"\\]|\\.)*"|[^@\t\n\v\f\r <>()\[\],:;]+)@(?:[^"\t\n\v\f\r <>()\[\],:;]+|\[[\d:.]+\])$`)
