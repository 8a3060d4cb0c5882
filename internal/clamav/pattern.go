package clamav

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// # Body signature format
//
// A body signature is hex text (ClamAV "Creating signatures", body-based
// signatures): pairs of hex digits are bytes; "??" any byte; "a?" and "?a"
// match one nibble; "*" any number of bytes; "{n}" exactly n bytes; "{-n}"
// at most n; "{n-}" at least n; "{n-m}" between n and m; "[n-m]" like
// "{n-m}" (ClamAV allows it only next to fixed bytes, and only small n, m);
// "(aa|bb|cc)" one of the alternatives, which may be several bytes long and
// of different lengths; "!(aa|bb)" any byte sequence of that length except
// those. Modifiers after "::" on an ldb subsignature: i (ASCII case
// insensitive), w (wide: every byte followed by 00), a (ascii and wide), f
// (full word: not touching an alphanumeric byte on either side).

// Token kinds.
const (
	tokByte = iota // one byte, compared under mask
	tokAlt         // alternatives
	tokGap         // min..max arbitrary bytes (max < 0: unbounded)
)

// maxGapFixed is the biggest {n} turned into a gap token; ClamAV's own
// limit on a fixed-distance gap is of the same order.
const maxGapFixed = 1 << 20

// A token holds no pointers (alternatives live in the pattern), so the
// token arrays of a big database cost the garbage collector nothing.
// It takes 8 bytes: a big database holds millions of them.
type token struct {
	kind   uint8
	nocase bool // byte compared ASCII case-insensitively
	neg    bool // alternatives negated
	val    byte
	mask   byte
	arg    uint16 // tokAlt: index into pattern.alts; tokGap: into pattern.gaps
}

// gapSpan is a gap token's extent: min..max bytes (max < 0: unbounded).
type gapSpan struct{ min, max int32 }

// maxArgs is how many alternative groups (and gaps) one pattern may hold.
const maxArgs = 1 << 16

// pattern is one compiled body signature.
type pattern struct {
	toks     []token
	alts     [][][]byte // per tokAlt: each alternative (all same length if neg)
	gaps     []gapSpan  // per tokGap
	fullword bool
	minLen   int // fewest bytes a match spans
}

var errEmptyPattern = errors.New("empty pattern")

// parsePattern compiles hex text with ldb-style modifiers flags ("i","w","f";
// "a" is expanded by the caller into two patterns).
func parsePattern(hex string, nocase, wide, fullword bool) (*pattern, error) {
	p := &pattern{fullword: fullword}
	s := hex
	for len(s) > 0 {
		var err error
		switch c := s[0]; {
		case c == '*':
			err = p.gap(0, -1)
			s = s[1:]
		case c == '{' || c == '[':
			s, err = p.parseGap(s)
		case c == '(' || (c == '!' && len(s) > 1 && s[1] == '('):
			s, err = p.parseAlt(s, nocase)
		default:
			if len(s) < 2 {
				return nil, fmt.Errorf("odd hex digit at %q", s)
			}
			var t token
			t, err = parseHexByte(s[:2])
			t.nocase = nocase && isAlpha(t.val) && t.mask == 0xff
			if t.nocase {
				t.val = lower(t.val)
			}
			p.toks = append(p.toks, t)
			s = s[2:]
		}
		if err != nil {
			return nil, err
		}
	}
	if wide {
		p.widen()
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p, nil
}

func parseHexByte(s string) (token, error) {
	t := token{kind: tokByte}
	for i := 0; i < 2; i++ {
		shift := uint(4 * (1 - i))
		if s[i] == '?' {
			continue
		}
		v, ok := unhex(s[i])
		if !ok {
			return t, fmt.Errorf("bad hex %q", s)
		}
		t.val |= v << shift
		t.mask |= 0xf << shift
	}
	return t, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (p *pattern) gap(min, max int) error {
	if n := len(p.toks); n > 0 && p.toks[n-1].kind == tokGap {
		g := &p.gaps[p.toks[n-1].arg]
		// Sums stay far below 1<<31: each gap is at most maxGapFixed
		// and a line holds few of them.
		g.min = int32(min32(int64(g.min)+int64(min), 1<<30))
		if g.max < 0 || max < 0 {
			g.max = -1
		} else {
			g.max = int32(min32(int64(g.max)+int64(max), 1<<30))
		}
		return nil
	}
	if len(p.gaps) >= maxArgs {
		return errors.New("too many gaps")
	}
	p.toks = append(p.toks, token{kind: tokGap, arg: uint16(len(p.gaps))})
	p.gaps = append(p.gaps, gapSpan{min: int32(min), max: int32(max)})
	return nil
}

func min32(a, b int64) int64 { return min(a, b) }

// parseGap reads {n} {-n} {n-} {n-m} [n-m].
func (p *pattern) parseGap(s string) (string, error) {
	closer := byte('}')
	if s[0] == '[' {
		closer = ']'
	}
	end := strings.IndexByte(s, closer)
	if end < 0 {
		return "", fmt.Errorf("unclosed %c", s[0])
	}
	body := s[1:end]
	lo, hi, dash := strings.Cut(body, "-")
	min, max := 0, -1
	var err error
	if lo != "" {
		if min, err = strconv.Atoi(lo); err != nil || min < 0 || min > maxGapFixed {
			return "", fmt.Errorf("bad gap %q", body)
		}
	}
	switch {
	case !dash:
		max = min
	case hi != "":
		if max, err = strconv.Atoi(hi); err != nil || max < min || max > maxGapFixed {
			return "", fmt.Errorf("bad gap %q", body)
		}
	}
	if closer == ']' && (!dash || max < 0) {
		return "", fmt.Errorf("bad [n-m] %q", body)
	}
	if err := p.gap(min, max); err != nil {
		return "", err
	}
	return s[end+1:], nil
}

// parseAlt reads (aa|bb) and !(aa|bb).
func (p *pattern) parseAlt(s string, nocase bool) (string, error) {
	if len(p.alts) >= maxArgs {
		return "", errors.New("too many alternatives")
	}
	t := token{kind: tokAlt, arg: uint16(len(p.alts))}
	var alts [][]byte
	if s[0] == '!' {
		t.neg = true
		s = s[1:]
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return "", errors.New("unclosed (")
	}
	switch s[1:end] {
	case "B", "L", "W":
		// Word, line and non-alphanumeric boundary markers.
		return "", skipf("boundary marker (%s)", s[1:end])
	}
	for _, a := range strings.Split(s[1:end], "|") {
		if len(a) == 0 || len(a)%2 != 0 {
			return "", fmt.Errorf("bad alternative %q", a)
		}
		b := make([]byte, len(a)/2)
		for i := range b {
			hi, ok1 := unhex(a[2*i])
			lo, ok2 := unhex(a[2*i+1])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("bad alternative %q", a)
			}
			b[i] = hi<<4 | lo
			if nocase {
				b[i] = lower(b[i])
			}
		}
		if t.neg && len(alts) > 0 && len(b) != len(alts[0]) {
			return "", errors.New("negated alternatives of different lengths")
		}
		alts = append(alts, b)
	}
	p.alts = append(p.alts, alts)
	t.nocase = nocase
	p.toks = append(p.toks, t)
	return s[end+1:], nil
}

// widen applies the w modifier: every byte is followed by a zero byte.
func (p *pattern) widen() {
	out := make([]token, 0, 2*len(p.toks))
	zero := token{kind: tokByte, val: 0, mask: 0xff}
	for _, t := range p.toks {
		switch t.kind {
		case tokByte:
			out = append(out, t, zero)
		case tokAlt:
			for i, a := range p.alts[t.arg] {
				w := make([]byte, 2*len(a))
				for j, c := range a {
					w[2*j] = c
				}
				p.alts[t.arg][i] = w
			}
			out = append(out, t)
		case tokGap:
			g := &p.gaps[t.arg]
			g.min *= 2
			if g.max > 0 {
				g.max *= 2
			}
			out = append(out, t)
		}
	}
	p.toks = out
}

// finish checks the pattern and computes minLen. Leading and trailing gaps
// are dropped: they constrain nothing a body signature can see.
func (p *pattern) finish() error {
	for len(p.toks) > 0 && p.toks[0].kind == tokGap {
		p.toks = p.toks[1:]
	}
	for len(p.toks) > 0 && p.toks[len(p.toks)-1].kind == tokGap {
		p.toks = p.toks[:len(p.toks)-1]
	}
	if len(p.toks) == 0 {
		return errEmptyPattern
	}
	if len(p.toks) != cap(p.toks) { // keep no growth slack
		p.toks = append(make([]token, 0, len(p.toks)), p.toks...)
	}
	p.minLen = 0
	for i := range p.toks {
		p.minLen += p.minWidth(&p.toks[i])
	}
	return nil
}

func (p *pattern) minWidth(t *token) int {
	switch t.kind {
	case tokByte:
		return 1
	case tokGap:
		return int(p.gaps[t.arg].min)
	}
	alts := p.alts[t.arg]
	m := len(alts[0])
	for _, a := range alts[1:] {
		m = min(m, len(a))
	}
	return m
}

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func isAlnum(c byte) bool { return isAlpha(c) || (c >= '0' && c <= '9') }
