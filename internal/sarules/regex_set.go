package sarules

// # Regex sets
//
// A rule with no required literal (see prefilter.go) would run its DFA
// over every subject of its kind: a hundred body rules are a hundred
// passes over every paragraph. The regexes of such rules that read the
// same subjects are compiled into one NFA with a match instruction per
// member, and one lazy DFA over it (dfa.multi) reads a subject once and
// reports every member that matches somewhere in it. The set is a
// prefilter, as the literals are: a member it does not report cannot
// match (its part of the set is its own DFA program, a superset of the
// regex where lookaround or backreferences are relaxed); a member it
// reports is run alone, which also gives tflags multiple its count.
//
// A set's DFA states are combinations of its members' positions, so sets
// are bounded (regexSetMaxMembers, regexSetMaxInsts) and a kind with more
// regexes gets several sets; measured on the stock rules, sets of 32 read
// the corpus sample 8% faster than the regexes alone (16: 6%; 64: 7%, and
// twice the states).

const (
	regexSetMaxInsts = 250_000
	// regexSetCacheBytes bounds the transition table of a set's DFA
	// (see dfa.maxStates); 32 members over text reach a few thousand
	// states
	regexSetCacheBytes = 8 << 20
)

// cheapAlone reports a regex that costs little run alone but much in a
// set: one anchored at the start of the subject (its DFA stops when the
// prefix stops matching, a few bytes mostly), or one that matches a
// single byte (/e/, /\S/: found in the first bytes, or skipped through
// with a byte search). In a set such a member takes part in nearly
// every state, since its matches are part of a state: measured on the
// stock body rules, leaving the five of one set out halved its states
// and its time per byte.
func (r *Regex) cheapAlone() bool {
	return r.atStart || r.maxLen >= 0 && r.maxLen <= 1
}

// regexSetMaxMembers is a variable for the tests.
var regexSetMaxMembers = 32

// regexSet is one set DFA and its members.
type regexSet struct {
	d       *dfa
	members []*Regex
	idx     int // in Ruleset.sets
}

// buildRegexSets groups regexes, in order, into sets of at most
// regexSetMaxMembers regexes and regexSetMaxInsts NFA instructions, and
// sets each member's set and
// setID; the sets are numbered (idx) from first on. A regex too large for
// the DFA, or alone in its set, gets none.
func buildRegexSets(regexes []*Regex, first int) []*regexSet {
	var sets []*regexSet
	b := &dfaBuilder{max: regexSetMaxInsts}
	var starts []int32
	var members []*Regex
	flush := func() {
		if len(members) >= 2 {
			d := &dfa{insts: b.insts, sets: b.sets, starts: starts, multi: true, eotnl: b.eotnl}
			d.init()
			d.maxStates = max(dfaMaxStates, regexSetCacheBytes/(4<<d.shift))
			set := &regexSet{d: d, members: members, idx: first + len(sets)}
			for i, re := range members {
				re.set, re.setID = set, int32(i)
			}
			sets = append(sets, set)
		}
		b = &dfaBuilder{max: regexSetMaxInsts}
		starts, members = nil, nil
	}
	for _, re := range regexes {
		if len(members) >= min(regexSetMaxMembers, regexSetMaxBits) {
			flush()
		}
		for try := 0; try < 2; try++ {
			mark := len(b.insts)
			match := b.emit(dfaInst{op: opMatch, out: int32(len(members))})
			start := b.compile(re.root, match)
			if !b.tooBig {
				starts, members = append(starts, start), append(members, re)
				break
			}
			b.insts, b.tooBig = b.insts[:mark], false
			if mark == 0 {
				break // too large even alone
			}
			flush()
		}
	}
	flush()
	return sets
}

// scan returns the members that may match somewhere in s, as bits.
func (set *regexSet) scan(s string) uint64 {
	var found [1]uint64
	set.d.findAll(s, found[:])
	return found[0]
}

// setScanned marks a subject's setFound word as scanned: sets have at
// most regexSetMaxBits members.
const (
	regexSetMaxBits = 63
	setScanned      = 1 << regexSetMaxBits
)

// findAll sets in found the bit of every member of the set d that
// matches somewhere in s.
func (d *dfa) findAll(s string, found []uint64) { d.search(s, 0, found) }

// maySetMatch reports whether the regex's set (if any) finds it in t,
// scanning t once per set: the rules of several sets on one subject run
// interleaved (metas call their sub-rules as they need them).
func (p *pms) maySetMatch(r *Regex, t *subjectText) bool {
	if r.set == nil {
		return true
	}
	if t.setFound == nil {
		t.setFound = p.bits(len(p.rs.sets) * 64)
	}
	found := &t.setFound[r.set.idx]
	if *found == 0 {
		*found = r.set.scan(t.s) | setScanned
	}
	return *found&(1<<r.setID) != 0
}
