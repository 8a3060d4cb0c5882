package sarules

// # DFA programs
//
// The builder compiles a parse tree to the byte-level Thompson NFA the
// lazy DFA runs (regex_dfa.go): literals and classes become byte
// instructions over deduplicated sets, alternation and repetition
// splits, anchors zero-width assertions; what the DFA cannot express is
// relaxed into a superset. computeClasses then partitions the bytes.

type dfaBuilder struct {
	max    int // instructions at most
	insts  []dfaInst
	sets   []byteSet
	setIDs map[byteSet]uint32
	exact  bool
	loose  bool // relaxed for something other than a possessive quantifier
	eotnl  bool
	tooBig bool
}

// byteInst emits an opByte over s, going to next.
func (b *dfaBuilder) byteInst(s *byteSet, next int32) int32 {
	id, ok := b.setIDs[*s]
	if !ok {
		if b.setIDs == nil {
			b.setIDs = map[byteSet]uint32{}
		}
		id = uint32(len(b.sets))
		b.sets = append(b.sets, *s)
		b.setIDs[*s] = id
	}
	return b.emit(dfaInst{op: opByte, set: id, out: next})
}

func (b *dfaBuilder) emit(in dfaInst) int32 {
	if len(b.insts) >= b.max {
		b.tooBig = true
		return 0
	}
	b.insts = append(b.insts, in)
	return int32(len(b.insts) - 1)
}

// compile emits n followed by the code at next and returns its entry.
func (b *dfaBuilder) compile(n *node, next int32) int32 {
	if b.tooBig {
		return 0
	}
	switch n.kind {
	case nLit:
		for i := len(n.lit) - 1; i >= 0; i-- {
			s := litByte(n.lit[i], n.fold)
			next = b.byteInst(&s, next)
		}
		return next
	case nClass:
		return b.byteInst(n.set, next)
	case nBOL, nEOL, nBOT, nEOT, nEOTNL, nWordB, nNonWordB:
		if n.kind == nEOTNL {
			b.eotnl = true
		}
		return b.emit(dfaInst{op: opAssert, kind: n.kind, out: next})
	case nGroup:
		return b.compile(n.subs[0], next)
	case nAtomic:
		b.exact, b.loose = false, true
		return b.compile(n.subs[0], next)
	case nLook:
		b.exact, b.loose = false, true
		return b.emit(dfaInst{op: opNop, out: next})
	case nBackref:
		b.exact, b.loose = false, true
		return b.star(&node{kind: nClass, set: &setAll}, next)
	case nConcat:
		for i := len(n.subs) - 1; i >= 0; i-- {
			next = b.compile(n.subs[i], next)
		}
		return next
	case nAlt:
		entry := b.compile(n.subs[len(n.subs)-1], next)
		for i := len(n.subs) - 2; i >= 0; i-- {
			e := b.compile(n.subs[i], next)
			entry = b.emit(dfaInst{op: opSplit, out: e, out1: entry})
		}
		return entry
	case nRepeat:
		if n.poss {
			b.exact = false
		}
		sub := n.subs[0]
		if n.max == -1 {
			next = b.star(sub, next)
		} else {
			for i := n.min; i < n.max && !b.tooBig; i++ {
				e := b.compile(sub, next)
				next = b.emit(dfaInst{op: opSplit, out: e, out1: next})
			}
		}
		for i := 0; i < n.min && !b.tooBig; i++ {
			next = b.compile(sub, next)
		}
		return next
	}
	b.tooBig = true
	return 0
}

// star emits sub* followed by next.
func (b *dfaBuilder) star(sub *node, next int32) int32 {
	loop := b.emit(dfaInst{op: opSplit, out1: next})
	body := b.compile(sub, loop)
	if !b.tooBig {
		b.insts[loop].out = body
	}
	return loop
}

var setAll = func() (s byteSet) { s.invert(); return }()

// computeClasses partitions the bytes so that bytes in one class are
// alike for every set in the program, for \b and for newline.
func (d *dfa) computeClasses() {
	var id [256]int
	n := 1
	refine := func(s *byteSet) {
		// class k splits into remap[2k] (outside s) and remap[2k+1]
		var remap [512]int
		for i := range remap[:2*n] {
			remap[i] = -1
		}
		next := 0
		for c := 0; c < 256; c++ {
			k := 2*id[c] + btoi(s.has(byte(c)))
			if remap[k] < 0 {
				remap[k] = next
				next++
			}
			id[c] = remap[k]
		}
		n = next
	}
	var nl byteSet
	nl.add('\n')
	refine(&setWord)
	refine(&nl)
	for i := range d.sets {
		refine(&d.sets[i])
	}
	for c := 0; c < 256; c++ {
		d.classes[c] = uint8(id[c])
	}
	d.nclass = n
}
