package sarules

import (
	"regexp"
	"strings"
)

// The VBounce plugin's evals (Plugin/VBounce.pm, 4.0.1): a bounce that
// quotes a Received header naming one of the admin's outbound relays
// (welcomelist_bounce_relays) is not blowback.
var vbounceEvals = map[string]evalFunc{
	"have_any_bounce_relays": func(p *pms, r *Rule, a []string) int {
		return btoi(len(p.rs.bounceRelays) > 0)
	},
	"check_welcomelist_bounce_relays": checkBounceRelays,
	"check_whitelist_bounce_relays":   checkBounceRelays,
}

var (
	// rendered body lines that quote a Received header
	quotedRcvdRe = regexp.MustCompile(`(?i)^[> ]*Received:`)
	// host names between spaces on such a line: / (\S+\.\S+) /g
	spacedHostRe = regexp.MustCompile(` (\S+\.\S+) `)
	// the same in the pristine body, where folding may add tabs
	blankedHostRe = regexp.MustCompile(`\s(\S+\.\S+)\s`)
)

// checkBounceRelays is check_welcomelist_bounce_relays: a Received
// header in the rendered body text, or else in the pristine body (its
// folded lines joined), names a welcomelist_bounce_relays host.
func checkBounceRelays(p *pms, r *Rule, a []string) int {
	if len(p.rs.bounceRelays) == 0 {
		return 0
	}
	for _, line := range p.m.body {
		if quotedRcvdRe.MatchString(line) && p.anyBounceRelay(line, spacedHostRe) {
			return 1
		}
	}
	_, body, _ := splitHeader(p.m.Raw) // the pristine body
	if !strings.Contains(strings.ToLower(string(body)), "received:") {
		return 0
	}
	found, full := false, ""
	for _, line := range strings.Split(string(body), "\n") {
		if !found {
			if !quotedRcvdRe.MatchString(line) {
				continue
			}
			found = true
		}
		if line != "" && perlSpace(line[0]) {
			full += line
		} else {
			full = line
		}
		if quotedRcvdRe.MatchString(full) && p.anyBounceRelay(full, blankedHostRe) {
			return 1
		}
	}
	return 0
}

// anyBounceRelay reports whether a host the expression picks out of s
// (its first group, matches not overlapping) is on the list.
func (p *pms) anyBounceRelay(s string, re *regexp.Regexp) bool {
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		host := strings.ToLower(m[1])
		for _, pat := range p.rs.bounceRelays {
			if globMatch(pat, host) {
				return true
			}
		}
	}
	return false
}
