package sarules

import "strings"

// globList is a list of SpamAssassin address globs (* and ? only, lower
// case) made ready for matching: the common "*@domain" entries are a set
// of domains, looked up once per address, and the rest are matched one
// by one.
type globList struct {
	atDomain map[string]bool // "*@" + key
	rest     []string
}

func newGlobList(pats []string) *globList {
	g := &globList{atDomain: map[string]bool{}}
	for _, pat := range pats {
		if d, ok := strings.CutPrefix(pat, "*@"); ok && d != "" && !strings.ContainsAny(d, "*?@") {
			g.atDomain[d] = true
			continue
		}
		g.rest = append(g.rest, pat)
	}
	return g
}

// match reports whether s matches one of the globs.
func (g *globList) match(s string) bool {
	// "*@d" matches exactly the strings whose part after the last @ is d
	if i := strings.LastIndexByte(s, '@'); i >= 0 && g.atDomain[s[i+1:]] {
		return true
	}
	for _, pat := range g.rest {
		if globMatch(pat, s) {
			return true
		}
	}
	return false
}

// buildGlobLists prepares the matchers of the ruleset's address lists,
// its welcome/block lists and enlist_addrlist lists, once they are read.
func (rs *Ruleset) buildGlobLists() {
	rs.globs = map[*[]string]*globList{}
	for _, l := range []*[]string{&rs.welcomeFrom, &rs.blockFrom, &rs.welcomeTo, &rs.blockTo} {
		rs.globs[l] = newGlobList(*l)
	}
	for _, l := range rs.addrLists {
		rs.globs[l] = newGlobList(*l)
	}
}

// globList returns the matcher of the list l of rs (one of those of
// buildGlobLists).
func (rs *Ruleset) globList(l *[]string) *globList { return rs.globs[l] }
