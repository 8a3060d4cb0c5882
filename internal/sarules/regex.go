package sarules

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// Regex is one compiled rule pattern. It is safe for concurrent use.
type Regex struct {
	// The fields a rule's run reads first lead (see Rule): prefilter,
	// set, then the matcher.

	// litIDs are lits in scan, the ruleset's shared multi-literal scan
	// (nil for a regex outside a ruleset).
	litIDs []int32
	scan   *litScanner
	// set is the regex set this regex belongs to, as member setID
	// (regex_set.go); nil: none
	set   *regexSet
	setID int32
	// setExact: the set's answer is Match's (the regex's own DFA is
	// exact, and built)
	setExact bool
	// atStart: every match starts at the start of the subject (\A, ^
	// without /m), so there is at most one
	atStart bool
	// lineStart: every match starts at the start of the subject or of a
	// line (^ under /m, or atStart), so the backtracker tries only those
	lineStart bool
	bt        bool // no Go regexp: see Backtracking
	// needCount > 0: every match holds needByte at least that often
	needCount int
	needByte  string // one byte
	// lits: at least one of these (lower-case) strings occurs in every
	// subject the regex matches; nil means no such set is known.
	lits []string
	// also: further sets, one member of each also occurs (alsoLits)
	also [][]string
	// dfa is built on first use (dfaOnce); nil: too large. See # Lazy DFA.
	dfa     *dfa
	dfaOnce sync.Once
	// btAlt: the regex parsed again for the backtracking matcher, once
	// its exact DFA thrashes (see thrashAlt); btCalls, btSteps and
	// btAborts measure it, btBad gives it up
	btAlt                      *Regex
	btOnce                     sync.Once
	btCalls, btSteps, btAborts atomic.Int64
	btBad                      atomic.Bool
	re                         *regexp.Regexp // nil: backtracking matcher
	root                       *node
	first                      *byteSet // first-byte set for the backtracking matcher, nil if nullable
	// maxLen bounds the length of a match (lookaround is zero-width);
	// -1: unbounded
	maxLen int
	ncap   int
	// countSeqs: the regex is an alternation of fixed byte sequences
	// (/e/, /[a-z]/i, the replace_tags <lcase_e>), so Count walks the
	// subject trying them in order; nil otherwise
	countSeqs [][]byteSet
	// names are the named groups, (?<NAME>...), by capture index
	names  map[string]int
	Source string // as written in the rule file, e.g. /foo/i
}

// Backtracking reports whether the regex needs the backtracking matcher.
func (r *Regex) Backtracking() bool { return r.bt }

// splitDelimited splits a Perl match operator: /re/flags, m{re}flags,
// m!re!flags. It returns the pattern and the flags.
func splitDelimited(s string) (pat, flags string, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "m") && len(s) > 1 {
		s = s[1:]
	}
	if s == "" {
		return "", "", fmt.Errorf("empty pattern")
	}
	open := s[0]
	close := open
	switch open {
	case '{':
		close = '}'
	case '(':
		close = ')'
	case '[':
		close = ']'
	case '<':
		close = '>'
	}
	if isASCIILetter(open) || open == ' ' || open == '\\' {
		return "", "", fmt.Errorf("bad pattern delimiter %q", open)
	}
	end := strings.LastIndexByte(s, close)
	if end <= 0 {
		return "", "", fmt.Errorf("unterminated pattern %q", s)
	}
	pat, flags = s[1:end], s[end+1:]
	for _, c := range flags {
		if !strings.ContainsRune("imsxopgcadlun", c) {
			return "", "", fmt.Errorf("unknown pattern flag %q in %q", c, s)
		}
	}
	if open == close && open != '\\' {
		// an escaped delimiter inside stands for itself
		pat = strings.ReplaceAll(pat, `\`+string(open), string(open))
		if strings.ContainsRune(`.+*?()|[]{}^$`, rune(open)) {
			pat = strings.ReplaceAll(pat, string(open), `\`+string(open))
		}
	}
	return pat, flags, nil
}

// CompileRegex compiles a Perl match operator such as /foo\b/i.
func CompileRegex(src string) (*Regex, error) {
	pat, flags, err := splitDelimited(src)
	if err != nil {
		return nil, err
	}
	return compilePattern(src, pat, flags)
}

func compilePattern(src, pat, flags string) (*Regex, error) {
	f := reFlags{
		i: strings.Contains(flags, "i"), m: strings.Contains(flags, "m"),
		s: strings.Contains(flags, "s"), x: strings.Contains(flags, "x"),
	}
	root, p, err := parseRegex(pat, f)
	if err != nil {
		return nil, fmt.Errorf("regex %s: %w", src, err)
	}
	r := &Regex{Source: src, root: root, ncap: p.ncap, lits: requiredLits(root)}
	r.also = alsoLits(root, r.lits)
	if len(p.names) > 0 {
		r.names = p.names
	}
	_, r.maxLen = width(root)
	markAutoPoss(root)
	internSets(root)
	// (only without a literal prefilter, which already rejects most)
	if b, k := requiredByteCount(root); k > 0 && r.lits == nil {
		r.needByte, r.needCount = string([]byte{b}), k
	}
	if fs, null := firstSet(root); !null {
		r.first = &fs
	}
	r.countSeqs = fixedAlts(root)
	r.atStart = startsAtBOT(root)
	r.lineStart = startsAtLine(root)
	if !p.needBT {
		re, err := compileGo(root)
		if err == nil {
			r.re = re
		}
		// a Go compile error (e.g. repeat count > 1000) falls back to the
		// backtracking matcher.
	}
	r.bt = r.re == nil
	return r, nil
}

// compact builds the DFA now and, if it answers Match alone (exact),
// drops the parse tree and the Go regexp: most of a ruleset's objects,
// which the garbage collector would mark on every cycle. Only for a
// regex asked Match and nothing else (no Count, no captures, no set
// still to build from it).
func (r *Regex) compact() {
	if d := r.lazyDFA(); d != nil && d.exact {
		r.root, r.re = nil, nil
	}
}

func (r *Regex) lazyDFA() *dfa {
	r.dfaOnce.Do(func() { r.dfa = newDFA(r.root) })
	return r.dfa
}

// Match reports whether the regex matches s (raw octets). l1 is
// latin1String(s), passed in so callers convert each subject once; "" lets
// Match convert.
func (r *Regex) Match(s, l1 string) bool {
	if r.needCount > 0 && !r.hasNeeded(s) {
		return false
	}
	if d := r.lazyDFA(); d != nil {
		if d.exact || d.asGo && r.re != nil {
			if alt := r.thrashAlt(d); alt != nil {
				m, aborted, steps := btMatchBudget(alt.root, alt.ncap, s, alt.first, btThrashBudget)
				r.btAltUse(steps, aborted)
				if !aborted {
					return m
				}
			}
			return d.match(s)
		}
		if r.re == nil {
			return r.confirm(d, s)
		}
		if !d.match(s) {
			return false
		}
	}
	if r.re != nil {
		if l1 == "" {
			l1 = latin1String(s)
		}
		return r.re.MatchString(l1)
	}
	st, _, _ := btFindFirst(r.root, r.ncap, s, 0, r.first)
	return st >= 0
}

// dfaThrashEpochs: a DFA whose state cache was dropped this often meets
// new states on every subject (/\nFrom: .{1,80}?\nTo: .{1,80}?.../s:
// each position inside each counted repeat is part of a state).
const dfaThrashEpochs = 2

// thrashAlt returns the regex parsed again, for the backtracking
// matcher, once its exact DFA d thrashes (nil before, or if it has
// backreferences): building states on every subject costs far more than
// backtracking through a few bounded repeats. Match still runs the DFA
// on a subject whose backtracking reaches the step limit, so the answer
// is exact either way. (The parse tree of an exact regex is dropped at
// Load: see compact.)
func (r *Regex) thrashAlt(d *dfa) *Regex {
	if d.tab.Load().epoch < dfaThrashEpochs || r.btBad.Load() {
		return nil
	}
	r.btOnce.Do(func() {
		if alt, err := CompileRegex(r.Source); err == nil && !hasBackref(alt.root) {
			r.btAlt = alt
		}
	})
	return r.btAlt
}

// The backtracker replaces a thrashing DFA only while it is cheap: a
// search gets btThrashBudget steps (then the DFA answers), and the
// regex goes back to its DFA for good after btThrashAborts searches ran
// out, or when its searches average more than btThrashAvgSteps (some
// stock rules build DFA states on every subject and backtrack far worse).
const (
	btThrashBudget   = 20_000
	btThrashAborts   = 3
	btThrashAvgSteps = 2_000
	btThrashMinCalls = 32
)

// btAltUse records one search of btAlt.
func (r *Regex) btAltUse(steps int, aborted bool) {
	calls, total := r.btCalls.Add(1), r.btSteps.Add(int64(steps))
	if aborted && r.btAborts.Add(1) >= btThrashAborts || calls >= btThrashMinCalls && total > calls*btThrashAvgSteps {
		r.btBad.Store(true)
	}
}

// hasNeeded reports whether s holds needByte needCount times.
func (r *Regex) hasNeeded(s string) bool {
	return len(s) >= r.needCount && strings.Count(s, r.needByte) >= r.needCount
}

// confirm runs the backtracking matcher only where the relaxed DFA d
// finds a match: a match starting at or after from ends at or after
// d.find's end e, so its start lies in [e-maxLen, e] or after e.
func (r *Regex) confirm(d *dfa, s string) bool {
	m := &btMatcher{s: s, caps: make([]int, 2*(r.ncap+1)), lineStart: r.lineStart}
	for from := 0; from <= len(s); {
		e := d.find(s, from)
		if e < 0 {
			return false
		}
		lo := from
		if r.maxLen >= 0 && e-r.maxLen > lo {
			lo = e - r.maxLen
		}
		if st, _ := m.findIn(r.root, lo, e, r.first); st >= 0 {
			return true
		}
		if m.aborted {
			return false
		}
		from = e + 1
	}
	return false
}

// countWindowMax bounds maxLen for counting with the DFA and the
// backtracker; longer or unbounded exact regexes count with Go regexp.
const countWindowMax = 512

// Count returns the number of non-overlapping matches in s, at most max
// (max <= 0: unlimited), as Perl's while (/re/g).
func (r *Regex) Count(s, l1 string, max int) int {
	if max <= 0 {
		max = 1 << 20
	}
	if r.needCount > 0 && !r.hasNeeded(s) {
		return 0
	}
	if r.countSeqs != nil {
		return countFixed(r.countSeqs, r.first, s, max)
	}
	if r.atStart {
		return btoi(r.Match(s, l1))
	}
	d := r.lazyDFA()
	// (a regex anchored at line starts windows well even unbounded: the
	// backtracker tries the line starts of the window only)
	if d == nil || r.re != nil && !r.lineStart && (r.maxLen < 0 || r.maxLen > countWindowMax) {
		if d != nil && !d.match(s) {
			return 0
		}
		if r.re != nil {
			return r.goCount(s, l1, max)
		}
		return r.btCount(s, max)
	}
	// the DFA finds the earliest end e of a match starting at or after
	// from; the leftmost match starts in [e-maxLen, e] (or after e) and
	// the backtracker gives its Perl end
	m := &btMatcher{s: s, caps: make([]int, 2*(r.ncap+1)), lineStart: r.lineStart}
	n, from := 0, 0
	for n < max && from <= len(s) {
		e := d.find(s, from)
		if e < 0 {
			break
		}
		lo := from
		if r.maxLen >= 0 && e-r.maxLen > lo {
			lo = e - r.maxLen
		}
		st, en := m.findIn(r.root, lo, e, r.first)
		if m.aborted {
			if r.re != nil {
				return r.goCount(s, l1, max)
			}
			break
		}
		if st < 0 {
			from = e + 1
			continue
		}
		n++
		m.steps = 0 // a budget per match, as btFindFirst
		if en == st {
			en++
		}
		from = en
	}
	return n
}

func (r *Regex) goCount(s, l1 string, max int) int {
	if l1 == "" {
		l1 = latin1String(s)
	}
	return len(r.re.FindAllStringIndex(l1, max))
}

// asciiLower lower-cases ASCII letters only, leaving other octets alone
// (strings.ToLower would rewrite invalid UTF-8).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 32
				}
			}
			return string(b)
		}
	}
	return s
}

// btCount counts up to max non-overlapping matches in s with the
// backtracker alone, searching from every position as Perl's m//g does.
func (r *Regex) btCount(s string, max int) int {
	n, from := 0, 0
	for n < max && from <= len(s) {
		st, e, aborted := btFindFirst(r.root, r.ncap, s, from, r.first)
		if st < 0 || aborted {
			break
		}
		n++
		if e == st {
			e++
		}
		from = e
	}
	return n
}

// The byte sets of parse trees are shared: the stock rules' replace_tags
// patterns repeat the same classes hundreds of thousands of times, and
// every pointer is one more object the garbage collector marks on each
// cycle for as long as the rules are loaded.
var (
	setsMu   sync.Mutex
	setsSeen = map[byteSet]*byteSet{}
)

// internSets points every set and rset of the tree at one shared copy
// per distinct set (never written after parsing).
func internSets(n *node) {
	setsMu.Lock()
	defer setsMu.Unlock()
	var walk func(n *node)
	walk = func(n *node) {
		for _, p := range []**byteSet{&n.set, &n.rset} {
			if *p == nil {
				continue
			}
			if s, ok := setsSeen[**p]; ok {
				*p = s
			} else {
				setsSeen[**p] = *p
			}
		}
		for _, sub := range n.subs {
			walk(sub)
		}
	}
	walk(n)
}

// fixedAlts returns the alternatives of n as byte-set sequences when each
// is a fixed, non-empty run of literal bytes and classes (no anchors,
// repeats or captures); nil otherwise.
func fixedAlts(n *node) [][]byteSet {
	n = bareGroup(n)
	subs := []*node{n}
	if n.kind == nAlt {
		subs = n.subs
	}
	var out [][]byteSet
	for _, sub := range subs {
		seq, ok := fixedSeq(sub, nil)
		if !ok || len(seq) == 0 {
			return nil
		}
		out = append(out, seq)
	}
	return out
}

func bareGroup(n *node) *node {
	for n.kind == nGroup && n.cap == 0 && len(n.subs) == 1 {
		n = n.subs[0]
	}
	return n
}

func fixedSeq(n *node, seq []byteSet) ([]byteSet, bool) {
	n = bareGroup(n)
	switch n.kind {
	case nLit:
		for _, c := range n.lit {
			seq = append(seq, litByte(c, n.fold))
		}
	case nClass:
		seq = append(seq, *n.set)
	case nConcat:
		for _, sub := range n.subs {
			var ok bool
			if seq, ok = fixedSeq(sub, seq); !ok {
				return nil, false
			}
		}
	default:
		return nil, false
	}
	return seq, true
}

// countFixed counts the non-overlapping matches of alternatives alts in s
// as Perl's while (/.../g) does: at each position the first alternative
// that matches wins and the search goes on after it; at most max.
func countFixed(alts [][]byteSet, first *byteSet, s string, max int) int {
	n := 0
	for i := 0; i < len(s) && n < max; {
		if first != nil && !first.has(s[i]) {
			i++
			continue
		}
		l := 0
		for _, seq := range alts {
			if fixedAt(seq, s, i) {
				l = len(seq)
				break
			}
		}
		if l == 0 {
			i++
			continue
		}
		n++
		i += l
	}
	return n
}

func fixedAt(seq []byteSet, s string, i int) bool {
	if len(s)-i < len(seq) {
		return false
	}
	for k := range seq {
		if !seq[k].has(s[i+k]) {
			return false
		}
	}
	return true
}

// Submatch returns capture group k of the first match in s; false if
// there is no match or the group took no part.
func (r *Regex) Submatch(s string, k int) (string, bool) {
	if r.root == nil {
		return "", false
	}
	st, _, caps, _ := btSearch(r.root, r.ncap, s, 0, r.first)
	if st < 0 || 2*k+1 >= len(caps) || caps[2*k] < 0 {
		return "", false
	}
	return s[caps[2*k]:caps[2*k+1]], true
}

// FindSubmatch returns the first match in s and its groups, as
// regexp.FindStringSubmatch does ("" for a group that took no part); nil
// if there is none.
func (r *Regex) FindSubmatch(s string) []string {
	if r.root == nil {
		return nil
	}
	st, en, caps, _ := btSearch(r.root, r.ncap, s, 0, r.first)
	if st < 0 {
		return nil
	}
	out := make([]string, len(caps)/2)
	out[0] = s[st:en]
	for k := 1; k < len(out); k++ {
		if caps[2*k] >= 0 {
			out[k] = s[caps[2*k]:caps[2*k+1]]
		}
	}
	return out
}

// mustRegex compiles one of mailwall's own Perl regexes (a bare
// pattern, flags inline as (?i)) for the rule engine's matchers: faster
// than Go's regexp where it must search (no literal to seek), and with
// Perl's byte semantics, as in the SpamAssassin code they come from.
func mustRegex(pat string) *Regex {
	if strings.Contains(pat, "~") {
		panic("sarules: mustRegex: ~ in " + pat)
	}
	r, err := CompileRegex("m~" + pat + "~")
	if err != nil {
		panic("sarules: " + pat + ": " + err.Error())
	}
	return r
}

// startsAtLine reports whether every match of n must start at the start
// of the subject or of a line: n begins with ^ (/m or not) or \A on
// every path.
func startsAtLine(n *node) bool { return startsWith(n, true) }

// startsAtBOT reports whether every match of n must start at the start
// of the subject: n begins with \A (or ^ without /m) on every path.
func startsAtBOT(n *node) bool { return startsWith(n, false) }

// startsWith reports whether n begins on every path with \A or ^
// without /m, or also ^ under /m when bol.
func startsWith(n *node, bol bool) bool {
	n = bareGroup(n)
	switch n.kind {
	case nBOT:
		return true
	case nBOL:
		return bol
	case nConcat:
		return len(n.subs) > 0 && startsWith(n.subs[0], bol)
	case nAlt:
		for _, sub := range n.subs {
			if !startsWith(sub, bol) {
				return false
			}
		}
		return len(n.subs) > 0
	}
	return false
}
