package sarules

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// # Perl regex syntax
//
// parseRegex reads the subset of perlre that rule files use, over bytes
// (SpamAssassin matches octets: "\xe9" is one byte, a UTF-8 letter in a rule
// file is several): literals and escapes (\t \n \r \f \e \a \xNN \x{NN} \0NN
// \cX \Q...\E), classes ([...] with ranges, \d \w \s \h \v and their negations,
// POSIX [:alpha:]), . ^ $ \A \z \Z \b \B, groups (capturing, named,
// (?:...), (?imsx-imsx:...), (?imsx) inline, (?=) (?!) (?<=) (?<!) (?>)),
// quantifiers (* + ? {n} {n,} {n,m}, each greedy, lazy ? or possessive +),
// alternation and backreferences (\1..\9, \g{N}, \k<name>).
// Flags i m s x apply as in Perl; case folding is ASCII-only (Perl's rules
// for byte strings).

type nodeKind uint8

const (
	nLit      nodeKind = iota // lit bytes (fold: ASCII case-insensitive)
	nClass                    // one byte in set
	nBOL                      // ^ under /m
	nEOL                      // $ under /m
	nBOT                      // \A, ^ without /m
	nEOTNL                    // $ without /m, \Z: end or before a final \n
	nEOT                      // \z
	nWordB                    // \b
	nNonWordB                 // \B
	nGroup                    // sub, capture index cap (0 = none)
	nConcat                   // subs
	nAlt                      // subs
	nRepeat                   // sub{min,max}; max -1 = inf; lazy; possessive
	nLook                     // lookaround: behind, neg
	nBackref                  // \N
	nAtomic                   // (?>...)
)

type node struct {
	kind       nodeKind
	lit        []byte
	fold       bool
	set        *byteSet
	subs       []*node
	cap        int
	min, max   int
	lazy, poss bool
	// autoPoss: the backtracker may run this greedy repeat possessively
	// (see markAutoPoss); the match is the same
	autoPoss bool
	// rset: nRepeat of one byte of this set (the backtracker's fast loop)
	rset *byteSet
	// follow (a repeat with rset that backtracks): the bytes the rest of
	// its concatenation must start with (see markAutoPoss); the
	// backtracker tries only the ends before such a byte
	follow *byteSet
	behind bool
	neg    bool
}

type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) addRange(lo, hi int) {
	for c := lo; c <= hi; c++ {
		s.add(byte(c))
	}
}
func (s *byteSet) invert() {
	for i := range s {
		s[i] = ^s[i]
	}
}
func (s *byteSet) union(o *byteSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

// litByte is the set a literal byte matches: c, and its other case
// under fold (ASCII letters only).
func litByte(c byte, fold bool) byteSet {
	var s byteSet
	s.add(c)
	if fold && isASCIILetter(c) {
		s.add(c ^ 0x20)
	}
	return s
}

// ranges calls f with each run lo..hi (inclusive) of the set's bytes,
// in order.
func (s *byteSet) ranges(f func(lo, hi int)) {
	for c := 0; c < 256; {
		if !s.has(byte(c)) {
			c++
			continue
		}
		lo := c
		for c < 256 && s.has(byte(c)) {
			c++
		}
		f(lo, c-1)
	}
}

func (s *byteSet) count() int {
	return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) + bits.OnesCount64(s[2]) + bits.OnesCount64(s[3])
}

type reFlags struct{ i, m, s, x bool }

type reParser struct {
	src   string
	pos   int
	ncap  int
	names map[string]int
	// needBT is set when the regex needs the backtracking matcher.
	needBT bool
}

func parseRegex(src string, f reFlags) (*node, *reParser, error) {
	p := &reParser{src: src, names: map[string]int{}}
	n, err := p.alt(f)
	if err != nil {
		return nil, nil, err
	}
	if p.pos < len(p.src) {
		return nil, nil, fmt.Errorf("unmatched ) at offset %d", p.pos)
	}
	return n, p, nil
}

func (p *reParser) more() bool { return p.pos < len(p.src) }
func (p *reParser) peek() byte { return p.src[p.pos] }

func (p *reParser) alt(f reFlags) (*node, error) {
	var alts []*node
	for {
		c, err := p.concat(&f)
		if err != nil {
			return nil, err
		}
		alts = append(alts, c)
		if p.more() && p.peek() == '|' {
			p.pos++
			continue
		}
		break
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return &node{kind: nAlt, subs: alts}, nil
}

// concat reads atoms until | or ). f is a pointer: inline (?i) changes
// flags until the end of the enclosing group.
func (p *reParser) concat(f *reFlags) (*node, error) {
	var items []*node
	for p.more() {
		c := p.peek()
		if c == '|' || c == ')' {
			break
		}
		if f.x && p.skipSpace() {
			continue
		}
		atom, err := p.atom(f)
		if err != nil {
			return nil, err
		}
		if atom == nil {
			continue
		}
		if f.x {
			for p.skipSpace() {
			}
		}
		atom, err = p.quant(atom)
		if err != nil {
			return nil, err
		}
		items = append(items, atom)
	}
	return joinConcat(items), nil
}

// joinConcat merges adjacent literal nodes with the same folding.
func joinConcat(items []*node) *node {
	var out []*node
	for _, it := range items {
		if it.kind == nLit && len(out) > 0 {
			last := out[len(out)-1]
			if last.kind == nLit && last.fold == it.fold {
				last.lit = append(last.lit, it.lit...)
				continue
			}
		}
		if it.kind == nLit {
			it = &node{kind: nLit, lit: append([]byte(nil), it.lit...), fold: it.fold}
		}
		out = append(out, it)
	}
	if len(out) == 1 {
		return out[0]
	}
	return &node{kind: nConcat, subs: out}
}

// skipSpace skips /x whitespace and # comments; it reports whether it moved.
func (p *reParser) skipSpace() bool {
	start := p.pos
	for p.more() {
		c := p.peek()
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			p.pos++
		} else if c == '#' {
			for p.more() && p.peek() != '\n' {
				p.pos++
			}
		} else {
			break
		}
	}
	return p.pos > start
}

func (p *reParser) quant(atom *node) (*node, error) {
	if !p.more() {
		return atom, nil
	}
	min, max := -2, 0
	switch p.peek() {
	case '*':
		min, max = 0, -1
		p.pos++
	case '+':
		min, max = 1, -1
		p.pos++
	case '?':
		min, max = 0, 1
		p.pos++
	case '{':
		if mn, mx, n, ok := parseBraces(p.src[p.pos:]); ok {
			min, max = mn, mx
			p.pos += n
		}
	}
	if min == -2 {
		return atom, nil
	}
	switch atom.kind {
	case nBOL, nEOL, nBOT, nEOT, nEOTNL, nWordB, nNonWordB, nLook:
		// Perl allows quantified assertions; they match empty.
		if min == 0 {
			return &node{kind: nConcat}, p.quantSuffix(nil)
		}
	}
	if atom.kind == nLit && len(atom.lit) > 1 {
		return nil, fmt.Errorf("internal: multi-byte literal quantified")
	}
	r := &node{kind: nRepeat, subs: []*node{atom}, min: min, max: max}
	return r, p.quantSuffix(r)
}

func (p *reParser) quantSuffix(r *node) error {
	if !p.more() {
		return nil
	}
	switch p.peek() {
	case '?':
		p.pos++
		if r != nil {
			r.lazy = true
		}
	case '+':
		p.pos++
		if r != nil {
			r.poss = true
		}
	}
	if p.more() && (p.peek() == '*' || p.peek() == '+' || p.peek() == '?') {
		return fmt.Errorf("nested quantifier at offset %d", p.pos)
	}
	return nil
}

// parseBraces reads {n}, {n,}, {n,m}; ok is false when it is a literal {.
func parseBraces(s string) (min, max, n int, ok bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return 0, 0, 0, false
	}
	body := s[1:end]
	lo, hi, comma := strings.Cut(body, ",")
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	a, err := strconv.Atoi(lo)
	if err != nil || a < 0 {
		return 0, 0, 0, false
	}
	if !comma {
		return a, a, end + 1, true
	}
	if hi == "" {
		return a, -1, end + 1, true
	}
	b, err := strconv.Atoi(hi)
	if err != nil || b < a {
		return 0, 0, 0, false
	}
	return a, b, end + 1, true
}

func litNode(b byte, f *reFlags) *node {
	fold := f.i && isASCIILetter(b)
	return &node{kind: nLit, lit: []byte{b}, fold: fold}
}

func isASCIILetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

func (p *reParser) atom(f *reFlags) (*node, error) {
	c := p.peek()
	p.pos++
	switch c {
	case '(':
		return p.group(f)
	case '[':
		return p.class(f)
	case '.':
		var s byteSet
		s.invert()
		if !f.s {
			s[0] &^= 1 << '\n'
		}
		return &node{kind: nClass, set: &s}, nil
	case '^':
		if f.m {
			return &node{kind: nBOL}, nil
		}
		return &node{kind: nBOT}, nil
	case '$':
		if f.m {
			return &node{kind: nEOL}, nil
		}
		return &node{kind: nEOTNL}, nil
	case '\\':
		return p.escape(f)
	case '*', '+', '?':
		return nil, fmt.Errorf("quantifier without operand at offset %d", p.pos-1)
	}
	return litNode(c, f), nil
}

func (p *reParser) group(f *reFlags) (*node, error) {
	inner := *f
	cap := 0
	kind := nGroup
	behind, neg := false, false
	if p.more() && p.peek() == '?' {
		p.pos++
		if !p.more() {
			return nil, fmt.Errorf("bad group")
		}
		switch c := p.peek(); {
		case c == ':':
			p.pos++
		case c == '=' || c == '!':
			p.pos++
			kind, neg = nLook, c == '!'
		case c == '>':
			p.pos++
			kind = nAtomic
		case c == '#':
			end := strings.IndexByte(p.src[p.pos:], ')')
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			p.pos += end + 1
			return nil, nil
		case c == '<' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '=' || p.src[p.pos+1] == '!'):
			kind, behind, neg = nLook, true, p.src[p.pos+1] == '!'
			p.pos += 2
		case c == '<' || c == 'P' || c == '\'':
			if c == 'P' {
				p.pos++
			}
			close := byte('>')
			if p.src[p.pos] == '\'' {
				close = '\''
			}
			end := strings.IndexByte(p.src[p.pos+1:], close)
			if end < 0 {
				return nil, fmt.Errorf("bad named group")
			}
			name := p.src[p.pos+1 : p.pos+1+end]
			p.pos += end + 2
			p.ncap++
			cap = p.ncap
			p.names[name] = cap
		default:
			nf, closed, err := p.flags(f)
			if err != nil {
				return nil, err
			}
			if closed {
				*f = nf
				return nil, nil
			}
			inner = nf
		}
	} else {
		p.ncap++
		cap = p.ncap
	}
	sub, err := p.alt(inner)
	if err != nil {
		return nil, err
	}
	if !p.more() || p.peek() != ')' {
		return nil, fmt.Errorf("missing )")
	}
	p.pos++
	if kind == nLook || kind == nAtomic {
		p.needBT = true
	}
	return &node{kind: kind, subs: []*node{sub}, cap: cap, behind: behind, neg: neg}, nil
}

// flags reads (?imsx-imsx) or (?imsx-imsx: ; closed reports the first form.
func (p *reParser) flags(f *reFlags) (reFlags, bool, error) {
	nf := *f
	on := true
	for p.more() {
		c := p.peek()
		p.pos++
		switch c {
		case 'i':
			nf.i = on
		case 'm':
			nf.m = on
		case 's':
			nf.s = on
		case 'x':
			nf.x = on
		case 'a', 'u', 'l', 'd', 'n', 'p', 'o':
		case '^':
			nf = reFlags{}
		case '-':
			on = false
		case ')':
			return nf, true, nil
		case ':':
			return nf, false, nil
		default:
			return nf, false, fmt.Errorf("unknown group flag %q", c)
		}
	}
	return nf, false, fmt.Errorf("unterminated group")
}
