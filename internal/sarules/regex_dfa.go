package sarules

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// # Lazy DFA
//
// Most rules only ask "does it match anywhere?". The parse tree is compiled
// to a byte-level Thompson NFA, and a DFA over it is built lazily while
// matching: each DFA state is a set of NFA positions plus what the previous
// byte was (start of text, newline, word byte, other), which is all that
// ^ $ \A \z \Z \b \B need besides the next byte. Transitions are cached per
// byte class, so after warm-up a match costs one table load per byte.
//
// Features the DFA cannot express are relaxed into a superset: lookaround
// matches the empty string, a backreference matches any text, atomic
// groups and possessive quantifiers backtrack freely. Such a DFA is not
// exact (dfa.exact false): "no match" is final, "match" is confirmed by
// the backtracking matcher. A Perl $ (end, or before a final newline) is a
// zero-width assertion here, as in Perl.
//
// The DFA is shared by concurrent Checks: transitions are published with
// atomic pointers, new states are built under a mutex. When a regex has
// built dfaMaxStates states the cache is dropped and rebuilding starts
// over, bounding memory.

const (
	dfaMaxInsts  = 60_000 // larger NFAs (huge counted repeats) keep the old engines
	dfaMaxStates = 4_000
)

type dfaOp uint8

const (
	opByte   dfaOp = iota // consume a byte in set, go to out
	opSplit               // go to out and out1
	opAssert              // zero-width check (kind), go to out
	opNop                 // go to out
	opMatch
)

// dfaInst holds no pointer (a set is an index into dfa.sets), so the
// garbage collector never scans a program.
type dfaInst struct {
	op   dfaOp
	kind nodeKind // opAssert
	set  uint32   // opByte: dfa.sets[set]
	out  int32
	out1 int32
}

// previous-byte contexts
const (
	ctxBOT uint8 = iota
	ctxNL
	ctxWord
	ctxOther
	nCtx
)

type dfaState struct {
	pcs []int32
	ctx uint8
	// matches (sets only) are the members whose match ended just before
	// the byte that led here; sorted
	matches []int32
	// lastNL is the step on a final newline when \Z matters (eotnl)
	lastNL atomic.Pointer[dfaState]
	eot    atomic.Int32 // match at end of text: 0 unknown, 1 no, 2 yes
	// eotMatches (sets only): the members matching at end of text
	eotMatches atomic.Pointer[[]int32]
}

// dfaTable holds the states of one generation of a DFA's cache and
// their transitions in one flat array, trans[id<<shift+class], so a step
// is one load. Rows are a power of two wide (at least 4), and a state ref
// is its row offset, so the next index is ref&^3 + class with no
// multiply. A transition is 0 (not built yet), tMatch, or a state ref
// id<<shift, plus 1 when the state is idle (no position alive, so
// skippable bytes may be skipped), plus 2 (sets only) when the state has
// matches. Id 0 is never a state, which keeps 0
// and 1 free for those two.
//
// A table only grows: states[id] is set (under dfa.mu) before any ref
// to id is published with an atomic store, and a full table is copied
// into a larger one with the same ids (same epoch). Dropping the cache
// starts a new epoch. Readers keep the table their state came from, so
// a ref is always read against its own table.
type dfaTable struct {
	epoch  int
	shift  uint // log2 of the row width
	trans  []atomic.Int32
	states []*dfaState // len = capacity; the first n are set
	n      int         // states in use; dfa.mu
	init   [nCtx]atomic.Int32
}

const tMatch = 1

func (t *dfaTable) ref(id int, idle, matches bool) int32 {
	return int32(id<<t.shift) + int32(btoi(idle)) + 2*int32(btoi(matches))
}

func (t *dfaTable) id(ref int32) int { return int(ref >> t.shift) }

// newDFATable makes a table for capacity states (ids 1..capacity) with
// rows of 2^shift transitions.
func newDFATable(epoch int, shift uint, capacity int) *dfaTable {
	return &dfaTable{epoch: epoch, shift: shift, trans: make([]atomic.Int32, (capacity+1)<<shift),
		states: make([]*dfaState, capacity+1), n: 1}
}

// rowShift is log2 of the row width for nclass classes, at least 2
// (the two flag bits of a ref).
func rowShift(nclass int) uint {
	sh := uint(2)
	for 1<<sh < nclass {
		sh++
	}
	return sh
}

type dfa struct {
	insts []dfaInst
	sets  []byteSet // the byte sets of opByte, each once
	// starts are the entries of the search: one regex, or the members
	// of a set
	starts []int32
	// multi: a set (see regex_set.go); an opMatch records its member
	// (dfaInst.out) and the search goes on
	multi bool
	// maxStates: the cache is dropped when it holds more
	maxStates int
	exact     bool
	// asGo: the only relaxation is possessive quantifiers run greedily,
	// which is also what the Go translation does (see regex_go.go)
	asGo    bool
	eotnl   bool // uses \Z / non-/m $: the last byte needs a look at "is it last"
	classes [256]uint8
	nclass  int
	shift   uint       // rowShift(nclass)
	skip    *[256]bool // see computeSkip; nil: none
	// stops are the bytes not skipped when at most maxStops are: runs
	// are skipped with strings.IndexByte per stop byte
	stops []byte

	// fromStart[ctx*nclass+class]: the closure of the start alone
	// before a byte of class after context ctx, computed on first use
	fromStart []atomic.Pointer[startStep]

	mu     sync.Mutex
	states map[uint64][]int32 // state refs of the current epoch by stateHash; mu
	// stateSlab and intSlab (mu) hand out new states and their
	// positions from a few growing blocks instead of an object each,
	// which the garbage collector would mark on every cycle
	stateSlab []dfaState
	slabSize  int // of the last state block
	intSlab   []int32
	tab       atomic.Pointer[dfaTable]
	matched   *dfaState // sentinel: a match was found (final-newline steps)
}

// newDFA compiles n; nil if the NFA would be too large.
func newDFA(n *node) *dfa {
	b := &dfaBuilder{exact: true, max: dfaMaxInsts}
	match := b.emit(dfaInst{op: opMatch})
	start := b.compile(n, match)
	if b.tooBig {
		return nil
	}
	d := &dfa{insts: b.insts, sets: b.sets, starts: []int32{start}, exact: b.exact, asGo: !b.loose, eotnl: b.eotnl}
	d.init()
	return d
}

// init readies a compiled program for searching.
func (d *dfa) init() {
	if d.maxStates == 0 {
		d.maxStates = dfaMaxStates
	}
	d.matched = &dfaState{}
	d.computeClasses()
	d.fromStart = make([]atomic.Pointer[startStep], int(nCtx)*d.nclass)
	d.states = map[uint64][]int32{}
	d.shift = rowShift(d.nclass)
	d.tab.Store(newDFATable(0, d.shift, 16))
	d.computeSkip()
}

// dfaSkipMaxInsts bounds the NFAs for which the skip table is computed
// (4 closures per byte class).
const dfaSkipMaxInsts = dfaMaxInsts

// computeSkip marks the bytes that, read with no thread alive, start no
// thread whatever the previous byte was (start of text aside: the first
// byte is never skipped): the search skips them with one table look-up
// each.
func (d *dfa) computeSkip() {
	if len(d.insts) > dfaSkipMaxInsts {
		return
	}
	var rep [256]int // a byte of each class
	for i := range rep {
		rep[i] = -1
	}
	for c := 255; c >= 0; c-- {
		rep[d.classes[c]] = c
	}
	skipClass := make([]bool, d.nclass)
	any := false
	for cl := 0; cl < d.nclass; cl++ {
		ok := true
		for ctx := ctxNL; ctx < nCtx && ok; ctx++ { // never skipped at the start of text
			var pcs, ms []int32
			st := &dfaState{ctx: ctx}
			ok = !d.closure(st, rep[cl], false, &pcs, true, nil, &ms) && len(pcs) == 0 && len(ms) == 0
		}
		skipClass[cl] = ok
		any = any || ok
	}
	if !any {
		return
	}
	d.skip = new([256]bool)
	var stops []byte
	for c := 0; c < 256; c++ {
		d.skip[c] = skipClass[d.classes[c]]
		if !d.skip[c] {
			stops = append(stops, byte(c))
		}
	}
	if len(stops) <= maxStops {
		d.stops = stops
	}
}

// maxStops bounds the stop bytes searched with strings.IndexByte.
const maxStops = 8

func ctxOf(c byte) uint8 {
	switch {
	case c == '\n':
		return ctxNL
	case isWordByte(c):
		return ctxWord
	}
	return ctxOther
}

// match reports whether the regex (or its relaxation, see exact) matches
// somewhere in s.
func (d *dfa) match(s string) bool { return d.find(s, 0) >= 0 }

// find returns the earliest end of a match (of the regex, or its
// relaxation) that starts at or after from, or -1. Assertions at from see
// s[from-1] as the previous byte. Every match starting at or after from
// ends at or after the returned position.
func (d *dfa) find(s string, from int) int { return d.search(s, from, nil) }

// search is find, or for a set (found not nil) findAll: it reads all of s
// and sets in found the members that match, returning -1.
func (d *dfa) search(s string, from int, found []uint64) int {
	if from > len(s) {
		return -1
	}
	add := func(ms []int32) {
		for _, m := range ms {
			found[m>>6] |= 1 << (m & 63)
		}
	}
	ctx0 := ctxBOT
	if from > 0 {
		ctx0 = ctxOf(s[from-1])
	}
	tab, ref := d.initial(ctx0)
	end := len(s) // skipping stops before a final newline when \Z is used
	if d.eotnl {
		end--
	}
	skip, classes := d.skip, &d.classes
	trans := tab.trans
	var final *dfaState // the state after a final newline under \Z
	next := noStops
	quick := int32(0) // transitions run leaves to this loop: idle ones when skipping, matches of a set
	if skip != nil {
		quick = 1
	}
	if found != nil {
		quick |= 2
	}
	for i := from; i < len(s); i++ {
		if ref&1 != 0 && skip != nil && i > 0 && i < end && skip[s[i]] {
			j := d.skipIdle(s, i, end, &next)
			tab, ref = d.restart(tab, ctxOf(s[j-1]))
			trans = tab.trans
			if i = j; i == len(s) {
				break
			}
		}
		if i, ref = run(trans, classes, s, i, end, ref, quick); i == len(s) {
			break
		}
		c := s[i]
		if i == end && c == '\n' {
			// the final newline under \Z (end < len(s) only with eotnl)
			st := tab.states[tab.id(ref)]
			if final = st.lastNL.Load(); final == nil {
				final = d.stepLast(st, c)
				st.lastNL.Store(final)
			}
			if final == d.matched {
				return i
			}
			add(final.matches)
			break
		}
		nx := trans[int(ref&^3)+int(classes[c])].Load()
		if nx == 0 {
			tab, nx = d.step(tab, ref, c)
			trans = tab.trans
		}
		if nx == tMatch {
			return i
		}
		if nx&2 != 0 {
			add(tab.states[tab.id(nx)].matches)
		}
		ref = nx
	}
	st := final
	if st == nil {
		st = tab.states[tab.id(ref)]
	}
	if found != nil {
		add(d.eotMatches(st))
		return -1
	}
	return d.matchAtEnd(st, len(s))
}

// matchAtEnd is find's answer at the end of a text of length n read into
// state st: n if a match ends there, else -1; cached on st.
func (d *dfa) matchAtEnd(st *dfaState, n int) int {
	switch st.eot.Load() {
	case 1:
		return -1
	case 2:
		return n
	}
	m := d.closure(st, -1, true, nil, true, nil, nil)
	if m {
		st.eot.Store(2)
		return n
	}
	st.eot.Store(1)
	return -1
}

// eotMatches returns the members of set d that match at the end of the
// text in state st, cached on st.
func (d *dfa) eotMatches(st *dfaState) []int32 {
	ms := st.eotMatches.Load()
	if ms == nil {
		var l []int32
		d.closure(st, -1, true, nil, true, nil, &l)
		l = slices.Clip(sortedUnion(l, nil))
		ms = &l
		st.eotMatches.Store(ms)
	}
	return *ms
}

// run follows built transitions from ref over s[i:end] while they are
// plain: not unbuilt, not tMatch, no flag of mask. It returns the
// position of the first byte it did not consume and the ref before it.
func run(trans []atomic.Int32, classes *[256]uint8, s string, i, end int, ref, mask int32) (int, int32) {
	for ; i < end; i++ {
		nx := trans[int(ref&^3)+int(classes[s[i]])].Load()
		if nx <= tMatch || nx&mask != 0 {
			break
		}
		ref = nx
	}
	return i, ref
}

// noStops starts skipIdle's next: no stop byte searched yet.
var noStops = [maxStops]int{-1, -1, -1, -1, -1, -1, -1, -1}

// skipIdle returns the first position from i on (end if none) whose byte
// is not skipped (d.skip). next[k] is the first d.stops[k] at or after the
// last search, end if none before end, -1 if not searched yet; it carries
// over between calls of one search.
func (d *dfa) skipIdle(s string, i, end int, next *[maxStops]int) int {
	if len(d.stops) == 0 {
		j := i + 1
		for j < end && d.skip[s[j]] {
			j++
		}
		return j
	}
	j := end
	for k, c := range d.stops {
		if next[k] < i {
			if p := strings.IndexByte(s[i:end], c); p < 0 {
				next[k] = end
			} else {
				next[k] = i + p
			}
		}
		j = min(j, next[k])
	}
	return j
}

// restart returns the start state after context ctx in tab if built
// there, else from the current table.
func (d *dfa) restart(tab *dfaTable, ctx uint8) (*dfaTable, int32) {
	if r := tab.init[ctx].Load(); r != 0 {
		return tab, r
	}
	return d.initial(ctx)
}

// initial returns the start state after a byte of context ctx, with
// its table.
func (d *dfa) initial(ctx uint8) (*dfaTable, int32) {
	tab := d.tab.Load()
	if ref := tab.init[ctx].Load(); ref != 0 {
		return tab, ref
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	tab, ref := d.intern(nil, ctx, nil)
	tab.init[ctx].Store(ref)
	return tab, ref
}

// intern returns the current table and the ref of the state for (pcs,
// ctx, matches) in it; d.mu is held. pcs and matches are copied when a
// new state keeps them.
func (d *dfa) intern(pcs []int32, ctx uint8, matches []int32) (*dfaTable, int32) {
	tab := d.tab.Load()
	h := stateHash(pcs, ctx, matches)
	for _, ref := range d.states[h] {
		if st := tab.states[tab.id(ref)]; st.ctx == ctx && slices.Equal(st.pcs, pcs) && slices.Equal(st.matches, matches) {
			return tab, ref
		}
	}
	switch {
	case tab.n > d.maxStates:
		// drop the cache: a new epoch; readers finish on the old table
		d.states = map[uint64][]int32{}
		d.stateSlab, d.intSlab, d.slabSize = nil, nil, 0 // the old blocks go with the old table
		tab = newDFATable(tab.epoch+1, d.shift, 16)
		d.tab.Store(tab)
	case tab.n == len(tab.states):
		// grow: same ids, transitions copied
		big := newDFATable(tab.epoch, d.shift, 2*(len(tab.states)-1))
		copy(big.states, tab.states)
		big.n = tab.n
		for i := range tab.trans {
			big.trans[i].Store(tab.trans[i].Load())
		}
		for i := range tab.init {
			big.init[i].Store(tab.init[i].Load())
		}
		tab = big
		d.tab.Store(tab)
	}
	id := tab.n
	tab.states[id] = d.newState(pcs, ctx, matches)
	tab.n++
	ref := tab.ref(id, len(pcs) == 0, len(matches) > 0)
	d.states[h] = append(d.states[h], ref)
	return tab, ref
}

// newState returns a state holding copies of pcs and matches, from the
// slabs; d.mu is held.
func (d *dfa) newState(pcs []int32, ctx uint8, matches []int32) *dfaState {
	if len(d.stateSlab) == 0 {
		d.slabSize = min(max(2*d.slabSize, 4), 256)
		d.stateSlab = make([]dfaState, d.slabSize)
	}
	st := &d.stateSlab[0]
	d.stateSlab = d.stateSlab[1:]
	st.pcs, st.ctx, st.matches = d.ints(pcs), ctx, d.ints(matches)
	return st
}

// ints returns a copy of l from the int slab (nil if l is empty); d.mu
// is held.
func (d *dfa) ints(l []int32) []int32 {
	if len(l) == 0 {
		return nil
	}
	if cap(d.intSlab)-len(d.intSlab) < len(l) {
		d.intSlab = make([]int32, 0, max(min(2*cap(d.intSlab), 16384), 64, len(l)))
	}
	n := len(d.intSlab)
	d.intSlab = append(d.intSlab, l...)
	return d.intSlab[n : n+len(l) : n+len(l)]
}

// stateHash mixes a state's context, positions and matches into a map
// key (collisions are told apart by comparing the states).
func stateHash(pcs []int32, ctx uint8, matches []int32) uint64 {
	h := uint64(ctx) + 0x9e3779b97f4a7c15
	for _, pc := range pcs {
		h ^= uint64(uint32(pc))
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	for _, m := range matches {
		h ^= uint64(uint32(m)) | 1<<40
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return h
}

// step returns the transition of state ref of tab on c, caching it,
// with the table the result belongs to.
func (d *dfa) step(tab *dfaTable, ref int32, c byte) (*dfaTable, int32) {
	st := tab.states[tab.id(ref)]
	slot := int(ref&^3) + int(d.classes[c])
	sc := closurePool.Get().(*closureScratch)
	defer closurePool.Put(sc)
	pcs, ms := sc.pcs[:0], sc.ms[:0]
	defer func() { sc.pcs, sc.ms = pcs[:0], ms[:0] }()
	ss := d.startStep(st.ctx, c)
	if ss.match || d.closure(st, int(c), false, &pcs, false, ss.pcs, &ms) {
		tab.trans[slot].Store(tMatch)
		return tab, tMatch
	}
	ms = sortedUnion(ms, ss.matches)
	d.mu.Lock()
	cur, nx := d.intern(pcs, ctxOf(c), ms)
	if cur.epoch == tab.epoch {
		// same ids (maybe a grown copy): cache in the current table,
		// where later readers look
		cur.trans[slot].Store(nx)
	}
	d.mu.Unlock()
	return cur, nx
}

// stepLast returns the state after st reads c as the subject's final
// byte (for \Z); d.matched if a match is reached.
func (d *dfa) stepLast(st *dfaState, c byte) *dfaState {
	sc := closurePool.Get().(*closureScratch)
	defer closurePool.Put(sc)
	pcs, ms := sc.pcs[:0], sc.ms[:0]
	defer func() { sc.pcs, sc.ms = pcs[:0], ms[:0] }()
	if d.closure(st, int(c), true, &pcs, true, nil, &ms) {
		return d.matched
	}
	ms = sortedUnion(ms, nil)
	d.mu.Lock()
	defer d.mu.Unlock()
	tab, ref := d.intern(pcs, ctxOf(c), ms)
	return tab.states[tab.id(ref)]
}

// startStep is the closure of the start alone after context ctx
// before c (not the last byte): the positions after c, or a match.
type startStep struct {
	pcs     []int32
	matches []int32 // sets: members matching (empty) before c
	match   bool
}

func (d *dfa) startStep(ctx uint8, c byte) *startStep {
	slot := &d.fromStart[int(ctx)*d.nclass+int(d.classes[c])]
	if ss := slot.Load(); ss != nil {
		return ss
	}
	var pcs []int32
	ss := &startStep{}
	ss.match = d.closure(&dfaState{ctx: ctx}, int(c), false, &pcs, true, nil, &ss.matches)
	ss.pcs = pcs
	ss.matches = sortedUnion(ss.matches, nil)
	slot.Store(ss)
	return ss
}

// closure follows the empty moves from st's positions and, if start,
// the start (unanchored search) given the next byte c (-1: end of text).
// It reports whether a match is reached; otherwise *out receives the
// sorted positions after consuming c, with extra added. In a set, a match
// appends its member to *ms (unsorted, maybe repeated; nil: not wanted)
// and the closure goes on.
func (d *dfa) closure(st *dfaState, c int, last bool, out *[]int32, start bool, extra []int32, ms *[]int32) bool {
	sc := closurePool.Get().(*closureScratch)
	defer closurePool.Put(sc)
	seen := sc.reset(len(d.insts))
	gen := sc.gen
	stack := sc.stack[:0]
	if start {
		stack = append(stack, d.starts...)
	}
	stack = append(stack, st.pcs...)
	defer func() { sc.stack = stack[:0] }()
	var nextPCs []int32
	if out != nil {
		nextPCs = append((*out)[:0], extra...)
	}
	prevWord := st.ctx == ctxWord
	nextWord := c >= 0 && isWordByte(byte(c))
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pc] == gen {
			continue
		}
		seen[pc] = gen
		in := &d.insts[pc]
		switch in.op {
		case opMatch:
			if !d.multi {
				return true
			}
			if ms != nil {
				*ms = append(*ms, in.out)
			}
		case opNop:
			stack = append(stack, in.out)
		case opSplit:
			stack = append(stack, in.out1, in.out)
		case opAssert:
			ok := false
			switch in.kind {
			case nBOL:
				ok = st.ctx == ctxBOT || st.ctx == ctxNL
			case nEOL:
				ok = c < 0 || c == '\n'
			case nBOT:
				ok = st.ctx == ctxBOT
			case nEOT:
				ok = c < 0
			case nEOTNL:
				ok = c < 0 || c == '\n' && last
			case nWordB:
				ok = prevWord != nextWord
			case nNonWordB:
				ok = prevWord == nextWord
			}
			if ok {
				stack = append(stack, in.out)
			}
		case opByte:
			if c >= 0 && d.sets[in.set].has(byte(c)) {
				nextPCs = append(nextPCs, in.out)
			}
		}
	}
	if out != nil {
		slices.Sort(nextPCs)
		*out = slices.Compact(nextPCs)
	}
	return false
}

// closureScratch is the reusable state of one closure: seen[pc] == gen
// marks the positions visited by the current call, so nothing is cleared
// between calls.
type closureScratch struct {
	seen  []uint32
	gen   uint32
	stack []int32
	pcs   []int32 // step's positions after the byte
	ms    []int32 // step's matches
}

var closurePool = sync.Pool{New: func() any { return new(closureScratch) }}

// reset starts a closure over n positions and returns the seen marks.
func (sc *closureScratch) reset(n int) []uint32 {
	sc.gen++
	if sc.gen == 0 || len(sc.seen) < n {
		if len(sc.seen) < n {
			sc.seen = make([]uint32, n)
		} else {
			clear(sc.seen)
		}
		sc.gen = 1
	}
	return sc.seen[:n]
}

// sortedUnion returns a sorted, duplicate-free union of a (reordered in
// place) and b; nil if both are empty.
func sortedUnion(a, b []int32) []int32 {
	a = append(a, b...)
	if len(a) == 0 {
		return nil
	}
	slices.Sort(a)
	return slices.Compact(a)
}
