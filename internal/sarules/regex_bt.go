package sarules

// # Backtracking matcher
//
// Regexes with lookaround, backreferences or atomic groups run here, over
// the raw octets. The matcher is a continuation-passing walk of the parse
// tree; every node visit costs one step and a search gives up after
// btStepLimit steps, counting as "no match" (RELIABILITY.md: every regex
// match is bounded). Historical SpamAssassin DoS shapes such as (a+)+b on a
// long run of 'a' hit the limit in milliseconds.

import "strings"

// btStepLimit bounds one search (all start positions) of one regex over one
// subject. 200k steps take a few milliseconds.
const btStepLimit = 200_000

type btMatcher struct {
	s       string
	caps    []int
	steps   int
	aborted bool
	// lineStart: every match starts a line (Regex.lineStart); findIn
	// tries only those starts
	lineStart bool
}

func (m *btMatcher) step() bool {
	m.steps++
	if m.steps > btStepLimit {
		m.aborted = true
	}
	return !m.aborted
}

// btFind returns the first match [start,end) at or after from, or -1.
// aborted reports that the step limit was reached.
func btFind(root *node, ncap int, s string, from int) (start, end int, aborted bool) {
	return btFindFirst(root, ncap, s, from, nil)
}

// btFindFirst is btFind with the first-byte set of root (nil: unknown):
// start positions whose byte cannot begin a match are skipped.
func btFindFirst(root *node, ncap int, s string, from int, first *byteSet) (start, end int, aborted bool) {
	start, end, _, aborted = btSearch(root, ncap, s, from, first)
	return start, end, aborted
}

// btSearch is btFindFirst that also returns the match's capture
// positions: caps[2k], caps[2k+1] for group k, -1 if it took no part.
func btSearch(root *node, ncap int, s string, from int, first *byteSet) (start, end int, caps []int, aborted bool) {
	m := &btMatcher{s: s, caps: make([]int, 2*(ncap+1))}
	return m.search(root, from, first)
}

// btMatchBudget reports whether root matches s, giving up (aborted)
// after budget steps (at most btStepLimit); steps is what it took.
func btMatchBudget(root *node, ncap int, s string, first *byteSet, budget int) (match, aborted bool, steps int) {
	m := &btMatcher{s: s, caps: make([]int, 2*(ncap+1)), steps: btStepLimit - budget}
	st, _, _, aborted := m.search(root, 0, first)
	return st >= 0, aborted, m.steps - (btStepLimit - budget)
}

// search is btSearch with m's subject and step budget.
func (m *btMatcher) search(root *node, from int, first *byteSet) (start, end int, caps []int, aborted bool) {
	s := m.s
	for st := from; st <= len(s); st++ {
		if first != nil {
			for st < len(s) && !first.has(s[st]) {
				st++
			}
			if st >= len(s) {
				break
			}
		}
		for i := range m.caps {
			m.caps[i] = -1
		}
		e := -1
		if m.match(root, st, func(j int) bool { e = j; return true }) {
			return st, e, m.caps, false
		}
		if m.aborted {
			return -1, -1, nil, true
		}
	}
	return -1, -1, nil, false
}

// findIn returns the first match [start,end) starting in [lo,hi], or -1.
// The step budget is m's, shared by successive calls; m.aborted reports
// that it ran out.
func (m *btMatcher) findIn(root *node, lo, hi int, first *byteSet) (start, end int) {
	if hi > len(m.s) {
		hi = len(m.s)
	}
	for st := lo; st <= hi; st++ {
		if m.lineStart {
			// only the start of the subject and of each line
			if st > 0 && m.s[st-1] != '\n' {
				k := strings.IndexByte(m.s[st:hi], '\n')
				if k < 0 {
					break
				}
				st += k + 1
			}
			if first != nil && (st >= len(m.s) || !first.has(m.s[st])) {
				if st >= len(m.s) {
					break
				}
				continue
			}
		} else if first != nil {
			for st < hi && !first.has(m.s[st]) {
				st++
			}
			if st >= len(m.s) || !first.has(m.s[st]) {
				break
			}
		}
		for i := range m.caps {
			m.caps[i] = -1
		}
		e := -1
		if m.match(root, st, func(j int) bool { e = j; return true }) {
			return st, e
		}
		if m.aborted {
			break
		}
	}
	return -1, -1
}

func isWordByte(c byte) bool { return setWord.has(c) }

func (m *btMatcher) atWordBoundary(i int) bool {
	a := i > 0 && isWordByte(m.s[i-1])
	b := i < len(m.s) && isWordByte(m.s[i])
	return a != b
}

func (m *btMatcher) match(n *node, i int, k func(int) bool) bool {
	if !m.step() {
		return false
	}
	s := m.s
	switch n.kind {
	case nLit:
		if i+len(n.lit) > len(s) {
			return false
		}
		for j, c := range n.lit {
			d := s[i+j]
			if c != d && !(n.fold && isASCIILetter(c) && c|0x20 == d|0x20) {
				return false
			}
		}
		return k(i + len(n.lit))
	case nClass:
		if i < len(s) && n.set.has(s[i]) {
			return k(i + 1)
		}
		return false
	case nBOL:
		return (i == 0 || s[i-1] == '\n') && k(i)
	case nEOL:
		return (i == len(s) || s[i] == '\n') && k(i)
	case nBOT:
		return i == 0 && k(i)
	case nEOT:
		return i == len(s) && k(i)
	case nEOTNL:
		return (i == len(s) || (i == len(s)-1 && s[i] == '\n')) && k(i)
	case nWordB:
		return m.atWordBoundary(i) && k(i)
	case nNonWordB:
		return !m.atWordBoundary(i) && k(i)
	case nGroup:
		return m.group(n, i, k)
	case nConcat:
		return m.seq(n.subs, i, k)
	case nAlt:
		for _, sub := range n.subs {
			if m.match(sub, i, k) {
				return true
			}
			if m.aborted {
				return false
			}
		}
		return false
	case nRepeat:
		if n.rset != nil {
			return m.repeatSet(n, i, k)
		}
		if n.poss || n.autoPoss {
			return m.possessive(n, i, k)
		}
		return m.repeat(n, i, 0, k)
	case nLook:
		return m.look(n, i, k)
	case nAtomic:
		e := -1
		if !m.match(n.subs[0], i, func(j int) bool { e = j; return true }) {
			return false
		}
		return k(e)
	case nBackref:
		return m.backref(n, i, k)
	}
	return false
}

func (m *btMatcher) group(n *node, i int, k func(int) bool) bool {
	if n.cap == 0 || 2*n.cap+1 >= len(m.caps) {
		return m.match(n.subs[0], i, k)
	}
	os, oe := m.caps[2*n.cap], m.caps[2*n.cap+1]
	ok := m.match(n.subs[0], i, func(j int) bool {
		ps, pe := m.caps[2*n.cap], m.caps[2*n.cap+1]
		m.caps[2*n.cap], m.caps[2*n.cap+1] = i, j
		if k(j) {
			return true
		}
		m.caps[2*n.cap], m.caps[2*n.cap+1] = ps, pe
		return false
	})
	if !ok {
		m.caps[2*n.cap], m.caps[2*n.cap+1] = os, oe
	}
	return ok
}

func (m *btMatcher) seq(subs []*node, i int, k func(int) bool) bool {
	if len(subs) == 0 {
		return k(i)
	}
	return m.match(subs[0], i, func(j int) bool { return m.seq(subs[1:], j, k) })
}

func (m *btMatcher) repeat(n *node, i, count int, k func(int) bool) bool {
	sub := n.subs[0]
	more := func() bool {
		if n.max != -1 && count >= n.max {
			return false
		}
		return m.match(sub, i, func(j int) bool {
			if j == i && count >= n.min {
				return false // empty iteration: stop looping
			}
			return m.repeat(n, j, count+1, k)
		})
	}
	if n.lazy {
		if count >= n.min && k(i) {
			return true
		}
		return !m.aborted && more()
	}
	if more() {
		return true
	}
	return !m.aborted && count >= n.min && k(i)
}

// repeatSet runs a repeat of one byte of n.rset: the run is measured
// once (a step per byte), then the continuation is tried at each count,
// most first when greedy, fewest first when lazy, only the longest when
// possessive.
func (m *btMatcher) repeatSet(n *node, i int, k func(int) bool) bool {
	s, set := m.s, n.rset
	hi := len(s) - i
	if n.max >= 0 && n.max < hi {
		hi = n.max
	}
	j := 0
	for j < hi && set.has(s[i+j]) {
		j++
	}
	if m.steps += j; m.steps > btStepLimit {
		m.aborted = true
		return false
	}
	if j < n.min {
		return false
	}
	follow := n.follow
	switch {
	case n.poss || n.autoPoss:
		return k(i + j)
	case n.lazy:
		for c := n.min; c <= j; c++ {
			if follow != nil && (i+c == len(s) || !follow.has(s[i+c])) {
				continue
			}
			if k(i + c) {
				return true
			}
			if m.aborted || !m.step() {
				return false
			}
		}
	default:
		for c := j; c >= n.min; c-- {
			if follow != nil && (i+c == len(s) || !follow.has(s[i+c])) {
				continue
			}
			if k(i + c) {
				return true
			}
			if m.aborted || !m.step() {
				return false
			}
		}
	}
	return false
}

func (m *btMatcher) possessive(n *node, i int, k func(int) bool) bool {
	count := 0
	for n.max == -1 || count < n.max {
		e := -1
		if !m.match(n.subs[0], i, func(j int) bool { e = j; return true }) || e == i {
			break
		}
		i = e
		count++
	}
	return count >= n.min && k(i)
}

func (m *btMatcher) look(n *node, i int, k func(int) bool) bool {
	found := false
	if !n.behind {
		found = m.match(n.subs[0], i, func(int) bool { return true })
	} else {
		lo, hi := width(n.subs[0])
		if hi < 0 || hi > 255 {
			hi = 255 // QUIRK: Perl refuses variable lookbehind over 255
		}
		for w := lo; w <= hi && !found && !m.aborted; w++ {
			if i-w < 0 {
				break
			}
			found = m.match(n.subs[0], i-w, func(j int) bool { return j == i })
		}
	}
	if m.aborted || found == n.neg {
		return false
	}
	return k(i)
}

func (m *btMatcher) backref(n *node, i int, k func(int) bool) bool {
	if 2*n.cap+1 >= len(m.caps) {
		return false
	}
	a, b := m.caps[2*n.cap], m.caps[2*n.cap+1]
	if a < 0 {
		return false
	}
	g := m.s[a:b]
	if i+len(g) > len(m.s) {
		return false
	}
	for j := 0; j < len(g); j++ {
		c, d := g[j], m.s[i+j]
		if c != d && !(n.fold && isASCIILetter(c) && c|0x20 == d|0x20) {
			return false
		}
	}
	return k(i + len(g))
}

// width returns the minimum and maximum length a node matches; max -1 is
// unbounded.
func width(n *node) (int, int) {
	switch n.kind {
	case nLit:
		return len(n.lit), len(n.lit)
	case nClass:
		return 1, 1
	case nGroup, nAtomic:
		return width(n.subs[0])
	case nConcat:
		lo, hi := 0, 0
		for _, s := range n.subs {
			a, b := width(s)
			lo += a
			if hi >= 0 {
				if b < 0 {
					hi = -1
				} else {
					hi += b
				}
			}
		}
		return lo, hi
	case nAlt:
		lo, hi := -1, 0
		for _, s := range n.subs {
			a, b := width(s)
			if lo < 0 || a < lo {
				lo = a
			}
			if hi >= 0 && (b < 0 || b > hi) {
				hi = b
			}
		}
		if lo < 0 {
			lo = 0
		}
		return lo, hi
	case nRepeat:
		a, b := width(n.subs[0])
		lo := a * n.min
		if n.max < 0 || b < 0 {
			return lo, -1
		}
		return lo, b * n.max
	case nBackref:
		return 0, -1
	}
	return 0, 0
}

// firstSet returns the bytes a non-empty match of n can start with, and
// whether n can match the empty string (then every position is a
// candidate). Zero-width assertions are transparent.
func firstSet(n *node) (s byteSet, nullable bool) {
	switch n.kind {
	case nLit:
		return litByte(n.lit[0], n.fold), false
	case nClass:
		return *n.set, false
	case nGroup, nAtomic:
		return firstSet(n.subs[0])
	case nConcat:
		for _, sub := range n.subs {
			fs, null := firstSet(sub)
			s.union(&fs)
			if !null {
				return s, false
			}
		}
		return s, true
	case nAlt:
		null := false
		for _, sub := range n.subs {
			fs, nl := firstSet(sub)
			s.union(&fs)
			null = null || nl
		}
		return s, null
	case nRepeat:
		fs, nl := firstSet(n.subs[0])
		return fs, nl || n.min == 0
	}
	// assertions, lookaround, backreferences: zero width or unknown
	return s, true
}

// markAutoPoss marks the greedy repeats of one byte set whose next byte
// in the pattern can never be in that set, e.g. [^\n]+ in [^\n]+\n: giving
// a byte back leaves a byte of the set where the rest must start, so
// backtracking into the repeat cannot succeed and the backtracker runs it
// possessively (PCRE's auto-possessification). Only siblings in one
// concatenation are looked at; a backreference there stops it.
//
// A repeat of one byte set that still backtracks (lazy, or its set
// meets the next byte's) gets that next byte's set as its follow: the
// backtracker tries only the ends the rest can start at, e.g. in
// [^\n]{0,200} for < the ends before a space, not all 200.
//
// It also gives every repeat of one byte set its rset.
func markAutoPoss(n *node) {
	for _, sub := range n.subs {
		markAutoPoss(sub)
	}
	if n.kind == nRepeat {
		if set, ok := oneByteSet(n.subs[0]); ok {
			n.rset = &set
		}
	}
	if n.kind != nConcat {
		return
	}
	for i, sub := range n.subs {
		r := sub
		for r.kind == nGroup && len(r.subs) == 1 {
			r = r.subs[0]
		}
		if r.kind != nRepeat || r.poss {
			continue
		}
		set, ok := oneByteSet(r.subs[0])
		if !ok {
			continue
		}
		follow, ok := followSet(n.subs[i+1:])
		if !ok {
			continue
		}
		disjoint := true
		for j := range set {
			disjoint = disjoint && set[j]&follow[j] == 0
		}
		r.autoPoss = disjoint && !r.lazy
		if !r.autoPoss {
			r.follow = &follow
		}
	}
}

// oneByteSet returns the bytes n matches if n matches exactly one byte.
func oneByteSet(n *node) (byteSet, bool) {
	for n.kind == nGroup && n.cap == 0 && len(n.subs) == 1 {
		n = n.subs[0]
	}
	switch {
	case n.kind == nClass:
		return *n.set, true
	case n.kind == nLit && len(n.lit) == 1:
		s, _ := firstSet(n)
		return s, true
	}
	return byteSet{}, false
}

// followSet returns the bytes the first byte consumed by rest can be;
// false if rest can match empty or holds a backreference before its
// first byte is certain.
func followSet(rest []*node) (byteSet, bool) {
	var out byteSet
	for _, sub := range rest {
		if hasBackref(sub) {
			return out, false
		}
		fs, null := firstSet(sub)
		out.union(&fs)
		if !null {
			return out, true
		}
	}
	return out, false
}

func hasBackref(n *node) bool {
	if n.kind == nBackref {
		return true
	}
	for _, sub := range n.subs {
		if hasBackref(sub) {
			return true
		}
	}
	return false
}
