package sarules

import (
	"slices"
	"strings"
)

// # Literal prefilter
//
// litInfo describes the strings a regex node can match, in lower case (the
// prefilter searches the ASCII-lower-cased subject, so case never matters):
//
//	exact  every string the node matches is one of these (nil: unknown)
//	pre    every match starts with one of these (nil: unknown)
//	suf    every match ends with one of these (nil: unknown)
//	req    every match contains one of these (nil: unknown)
//	small  like req, the smallest such set found with litScore > 0: an
//	       alternation falls back to the union of its branches' small
//	       sets when their best sets together are too many
//
// Sets are bounded by maxLits; a set that would grow past it is dropped
// (unknown), which only weakens the prefilter. Zero-width assertions match
// "" and so join their neighbours: /\bfree\s/ has exact pieces "free".
type litInfo struct {
	exact, pre, suf, req, small []string
}

// maxLits bounds the alternatives kept per literal set (the multi-literal
// scan makes large sets cheap); maxCross bounds a concatenation's product,
// so long exact strings stop multiplying and one good piece is kept.
const (
	maxLits  = 256
	maxCross = 16
)

// maxClassLits: a class of at most this many (lower-cased) bytes is
// expanded into one-byte strings, so /expl[o0]it/ yields two literals.
const maxClassLits = 3

// requiredLits returns strings (lower-cased) one of which must occur in any
// match of n, or nil if no useful set is known.
func requiredLits(n *node) []string {
	in := litsOf(n)
	best := bestLits(in.req, in.exact, in.pre, in.suf, in.small)
	if litScore(best) == 0 {
		return nil
	}
	return best
}

// maxAlso bounds the extra literal sets (Regex.also) kept per regex.
const maxAlso = 3

// maxAlsoLits bounds the members of such a set: each is a substring search
// of the text.
const maxAlsoLits = 6

// alsoLits returns further literal sets, besides lits, every match of n
// must hold a member of each: the prefilter asks for all of them, so
// /cheap\s+viagra/ is not run on a text that says "cheap" but not
// "viagra". Sets implied by lits (each of its members contains one of
// theirs) or by an earlier set are left out; the longest come first.
func alsoLits(n *node, lits []string) [][]string {
	if lits == nil {
		return nil
	}
	var out [][]string
	for _, s := range conjuncts(n, nil) {
		if litScore(s) == 0 || len(s) > maxAlsoLits || implies(lits, s) {
			continue
		}
		dup := false
		for _, o := range out {
			if implies(o, s) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b []string) int { return litScore(b) - litScore(a) })
	if len(out) > maxAlso {
		out = out[:maxAlso]
	}
	return out
}

// conjuncts appends to out literal sets that every match of n holds a
// member of: the best set of each piece of a concatenation (and of the
// pieces inside its groups and required repeats).
func conjuncts(n *node, out [][]string) [][]string {
	switch n.kind {
	case nGroup, nAtomic:
		return conjuncts(n.subs[0], out)
	case nConcat:
		for _, s := range n.subs {
			out = conjuncts(s, out)
		}
		return out
	case nRepeat:
		if n.min == 0 {
			return out
		}
		return conjuncts(n.subs[0], out)
	}
	in := litsOf(n)
	if best := bestLits(in.req, in.exact, in.pre, in.suf, in.small); best != nil {
		out = append(out, best)
	}
	return out
}

// implies reports whether every string of a contains one of b's, so
// finding one of a finds one of b.
func implies(a, b []string) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			if strings.Contains(x, y) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func litsOf(n *node) litInfo {
	switch n.kind {
	case nLit:
		return exactInfo([]string{asciiLower(string(n.lit))})
	case nClass:
		var set []string
		var seen byteSet
		for c := 0; c < 256; c++ {
			if !n.set.has(byte(c)) {
				continue
			}
			l := byte(c)
			if l >= 'A' && l <= 'Z' {
				l += 32
			}
			if seen.has(l) {
				continue
			}
			seen.add(l)
			if len(set) == maxClassLits {
				return litInfo{}
			}
			set = append(set, string([]byte{l}))
		}
		return exactInfo(set)
	case nBOL, nEOL, nBOT, nEOT, nEOTNL, nWordB, nNonWordB, nLook:
		return exactInfo([]string{""})
	case nGroup, nAtomic:
		return litsOf(n.subs[0])
	case nConcat:
		return concatLits(n.subs)
	case nAlt:
		return altLits(n.subs)
	case nRepeat:
		return repeatLits(n)
	}
	return litInfo{} // backreferences
}

func exactInfo(set []string) litInfo {
	return litInfo{exact: set, pre: set, suf: set, req: set, small: smallLits(set)}
}

func concatLits(subs []*node) litInfo {
	cur := exactInfo([]string{""})
	for _, s := range subs {
		x := litsOf(s)
		if cur.exact != nil && x.exact != nil {
			if e := cross(cur.exact, x.exact); e != nil {
				cur = exactInfo(e)
				continue
			}
		}
		var next litInfo
		if cur.exact != nil {
			next.pre = crossOr(cur.exact, x.pre, cur.exact)
		} else {
			next.pre = cur.pre
		}
		if x.exact != nil {
			next.suf = crossOr(cur.suf, x.exact, x.exact)
		} else {
			next.suf = x.suf
		}
		mid := cross(cur.suf, x.pre)
		next.req = bestLits(cur.req, x.req, mid, next.pre, next.suf)
		next.small = smallLits(cur.small, x.small, mid, next.pre, next.suf)
		cur = next
	}
	return cur
}

func altLits(subs []*node) litInfo {
	var out litInfo
	for i, s := range subs {
		x := litsOf(s)
		if i == 0 {
			out = x
			out.req = bestLits(x.req, x.exact)
			continue
		}
		out.exact = union(out.exact, x.exact)
		out.pre = union(out.pre, x.pre)
		out.suf = union(out.suf, x.suf)
		out.req = union(out.req, bestLits(x.req, x.exact))
		out.small = union(out.small, x.small)
	}
	if out.exact != nil {
		out.pre, out.suf = out.exact, out.exact
	}
	// an alternative's best set may be weaker than the union of prefixes
	out.req = bestLits(out.req, out.exact, out.pre, out.suf, out.small)
	out.small = smallLits(out.small, out.exact, out.pre, out.suf, out.req)
	return out
}

func repeatLits(n *node) litInfo {
	x := litsOf(n.subs[0])
	if n.min == 0 {
		if n.max == 1 && x.exact != nil {
			return exactInfo(union(x.exact, []string{""}))
		}
		return litInfo{pre: union(x.pre, []string{""}), suf: union(x.suf, []string{""})}
	}
	if x.exact != nil && n.min == n.max {
		e := []string{""}
		for i := 0; i < n.min && e != nil; i++ {
			e = cross(e, x.exact)
		}
		if e != nil {
			return exactInfo(e)
		}
	}
	return litInfo{pre: x.pre, suf: x.suf, req: bestLits(x.req, x.exact), small: x.small}
}

// cross returns every a+b, nil if either is unknown or the product is too
// large.
func cross(a, b []string) []string {
	if a == nil || b == nil || len(a)*len(b) > maxCross {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return dedupe(out)
}

// crossOr is cross(a, b), or fallback when that is unknown.
func crossOr(a, b, fallback []string) []string {
	if c := cross(a, b); c != nil {
		return c
	}
	return fallback
}

func union(a, b []string) []string {
	if a == nil || b == nil || len(a)+len(b) > maxLits {
		return nil
	}
	return dedupe(append(append([]string(nil), a...), b...))
}

func dedupe(l []string) []string {
	out := l[:0]
	for i, s := range l {
		dup := false
		for _, t := range l[:i] {
			if s == t {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// bestLits returns the set with the highest litScore (the first on ties;
// nil when all are nil).
func bestLits(sets ...[]string) []string {
	var best []string
	bs := -1
	for _, s := range sets {
		if s == nil {
			continue
		}
		if sc := litScore(s); sc > bs {
			best, bs = s, sc
		}
	}
	return best
}

// smallLits returns the set with the fewest members among those with a
// positive litScore (the better scored on ties), nil if there is none.
func smallLits(sets ...[]string) []string {
	var best []string
	for _, s := range sets {
		if litScore(s) == 0 {
			continue
		}
		if best == nil || len(s) < len(best) || len(s) == len(best) && litScore(s) > litScore(best) {
			best = s
		}
	}
	return best
}

// litScore rates a literal set: its shortest member, worth 0 below 3 bytes.
func litScore(l []string) int {
	if l == nil {
		return 0
	}
	short := 1 << 30
	for _, s := range l {
		short = min(short, len(s))
	}
	if short < 3 {
		return 0
	}
	return short
}

// mayMatch reports whether lower (the lower-cased subject) can match.
func (r *Regex) mayMatch(lower string) bool {
	if r.lits == nil {
		return true
	}
	return containsAny(lower, r.lits) && r.alsoIn(lower)
}

// alsoIn reports whether lower holds a member of each of r.also. They
// are not in the shared scan: most are looked for only in the texts
// where lits occur, where a substring search costs far less than the
// regex would.
func (r *Regex) alsoIn(lower string) bool {
	for _, set := range r.also {
		if !containsAny(lower, set) {
			return false
		}
	}
	return true
}

func containsAny(s string, subs []string) bool {
	for _, l := range subs {
		if strings.Contains(s, l) {
			return true
		}
	}
	return false
}

// # Required byte count
//
// Some rules need a byte many times, e.g. 30 commas in
// /(?:,[^,]{1,90}){30}/: a subject with fewer is rejected with one
// strings.Count before any matcher runs.

// minByteCount is the fewest occurrences of byte b in any match of n
// (lookaround, backreferences and case-folded letters count none).
func minByteCount(n *node, b byte) int {
	switch n.kind {
	case nLit:
		if n.fold && isASCIILetter(b) {
			return 0
		}
		k := 0
		for _, c := range n.lit {
			k += btoi(c == b)
		}
		return k
	case nClass:
		if n.set.count() == 1 && n.set.has(b) {
			return 1
		}
	case nGroup, nAtomic:
		return minByteCount(n.subs[0], b)
	case nConcat:
		k := 0
		for _, sub := range n.subs {
			k += minByteCount(sub, b)
		}
		return k
	case nAlt:
		k := -1
		for _, sub := range n.subs {
			if c := minByteCount(sub, b); k < 0 || c < k {
				k = c
			}
		}
		return max(k, 0)
	case nRepeat:
		return n.min * minByteCount(n.subs[0], b)
	}
	return 0
}

// minCountRequired is the least count worth a strings.Count pass; only
// bytes other than letters, digits and white space count (common ones
// pass too often to pay for the pass).
const minCountRequired = 8

// requiredByteCount returns a byte every match of n holds at least k
// times, k >= minCountRequired; k 0 if none is known.
func requiredByteCount(n *node) (b byte, k int) {
	var cands byteSet
	var walk func(n *node)
	walk = func(n *node) {
		switch n.kind {
		case nLit:
			for _, c := range n.lit {
				cands.add(c)
			}
		case nClass:
			if n.set.count() == 1 {
				cands = unionSet(cands, *n.set)
			}
		case nLook:
			return
		}
		for _, sub := range n.subs {
			walk(sub)
		}
	}
	walk(n)
	for c := 0; c < 256; c++ {
		if cands.has(byte(c)) && !setWord.has(byte(c)) && !setSpace.has(byte(c)) {
			if m := minByteCount(n, byte(c)); m > k {
				b, k = byte(c), m
			}
		}
	}
	if k < minCountRequired {
		return 0, 0
	}
	return b, k
}

func unionSet(a, b byteSet) byteSet {
	a.union(&b)
	return a
}
