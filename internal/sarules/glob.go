package sarules

import (
	"strings"
	"sync"
)

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

// globLists caches the globList of each of a ruleset's address lists
// (the lists do not change once the ruleset is loaded).
type globLists struct {
	mu    sync.Mutex
	lists map[*[]string]*globList
}

// globList returns the matcher of the list l of rs (one of its
// welcome/block lists or enlist_addrlist lists).
func (rs *Ruleset) globList(l *[]string) *globList {
	c := &rs.globs
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.lists[l]
	if g == nil {
		if c.lists == nil {
			c.lists = map[*[]string]*globList{}
		}
		g = newGlobList(*l)
		c.lists[l] = g
	}
	return g
}
