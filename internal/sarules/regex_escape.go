package sarules

import (
	"fmt"
	"strconv"
	"strings"
)

// Perl's predefined classes over bytes (no /u: ASCII only, as for byte
// strings). They are package variables with initializers, not filled in
// by init(): Go initializes package variables in dependency order, so a
// package-level regex (mustPerlRegex) that uses \d, \s or \w sees them
// set; init() would run only after every package variable.
var (
	setDigit  = byteSetOf(func(c byte) bool { return c >= '0' && c <= '9' })
	setWord   = byteSetOf(func(c byte) bool { return isASCIILetter(c) || c >= '0' && c <= '9' || c == '_' })
	setSpace  = byteSetOf(func(c byte) bool { return strings.IndexByte(" \t\n\r\f\v", c) >= 0 })
	setHSpace = byteSetOf(func(c byte) bool { return c == ' ' || c == '\t' || c == 0xa0 })
	setVSpace = byteSetOf(func(c byte) bool { return strings.IndexByte("\n\v\f\r\x85", c) >= 0 })
	posixSets = map[string]*byteSet{
		"alpha":  posixSet(func(c byte) bool { return isASCIILetter(c) }),
		"digit":  posixSet(func(c byte) bool { return c >= '0' && c <= '9' }),
		"alnum":  posixSet(func(c byte) bool { return isASCIILetter(c) || (c >= '0' && c <= '9') }),
		"upper":  posixSet(func(c byte) bool { return c >= 'A' && c <= 'Z' }),
		"lower":  posixSet(func(c byte) bool { return c >= 'a' && c <= 'z' }),
		"space":  posixSet(func(c byte) bool { return setSpace.has(c) }),
		"blank":  posixSet(func(c byte) bool { return c == ' ' || c == '\t' }),
		"punct":  posixSet(func(c byte) bool { return c > 32 && c < 127 && !isASCIILetter(c) && !(c >= '0' && c <= '9') }),
		"print":  posixSet(func(c byte) bool { return c >= 32 && c < 127 }),
		"graph":  posixSet(func(c byte) bool { return c > 32 && c < 127 }),
		"cntrl":  posixSet(func(c byte) bool { return c < 32 || c == 127 }),
		"xdigit": posixSet(func(c byte) bool { return strings.IndexByte("0123456789abcdefABCDEF", c) >= 0 }),
		"word":   posixSet(func(c byte) bool { return setWord.has(c) }),
		"ascii":  posixSet(func(c byte) bool { return true }),
	}
)

// byteSetOf is the set of the bytes f holds for.
func byteSetOf(f func(c byte) bool) byteSet {
	var s byteSet
	for c := 0; c < 256; c++ {
		if f(byte(c)) {
			s.add(byte(c))
		}
	}
	return s
}

// posixSet is a POSIX class: ASCII bytes only.
func posixSet(f func(c byte) bool) *byteSet {
	s := byteSetOf(func(c byte) bool { return c < 128 && f(c) })
	return &s
}

// classEscape returns the set for \d \w \s \h \v (and negations), or nil.
func classEscape(c byte) *byteSet {
	var s byteSet
	switch c | 0x20 {
	case 'd':
		s = setDigit
	case 'w':
		s = setWord
	case 's':
		s = setSpace
	case 'h':
		s = setHSpace
	case 'v':
		s = setVSpace
	default:
		return nil
	}
	if c >= 'A' && c <= 'Z' {
		s.invert()
	}
	return &s
}

// charEscape decodes an escape that stands for one byte (after the
// backslash, at p.pos). ok is false when it is not such an escape.
func (p *reParser) charEscape(c byte) (b byte, ok bool, err error) {
	switch c {
	case 't':
		return '\t', true, nil
	case 'n':
		return '\n', true, nil
	case 'r':
		return '\r', true, nil
	case 'f':
		return '\f', true, nil
	case 'e':
		return 0x1b, true, nil
	case 'a':
		return 0x07, true, nil
	case 'x':
		return p.hexEscape()
	case 'c':
		if !p.more() {
			return 0, false, fmt.Errorf("bad \\c")
		}
		x := p.peek()
		p.pos++
		return (x &^ 0x20) ^ 0x40, true, nil
	case '0':
		v, n := 0, 0
		for n < 2 && p.more() && p.peek() >= '0' && p.peek() <= '7' {
			v = v*8 + int(p.peek()-'0')
			p.pos++
			n++
		}
		return byte(v), true, nil
	}
	return 0, false, nil
}

func (p *reParser) hexEscape() (byte, bool, error) {
	if p.more() && p.peek() == '{' {
		end := strings.IndexByte(p.src[p.pos:], '}')
		if end < 0 {
			return 0, false, fmt.Errorf("bad \\x{")
		}
		v, err := strconv.ParseUint(strings.TrimSpace(p.src[p.pos+1:p.pos+end]), 16, 32)
		p.pos += end + 1
		if err != nil {
			return 0, false, fmt.Errorf("bad \\x{}: %w", err)
		}
		// QUIRK: code points above 0xff cannot occur in octet strings; we
		// keep the low byte, which never matches the intended character.
		return byte(v), true, nil
	}
	v, n := 0, 0
	for n < 2 && p.more() && isHex(p.peek()) {
		v = v*16 + hexVal(p.peek())
		p.pos++
		n++
	}
	return byte(v), true, nil
}

func isHex(c byte) bool { return strings.IndexByte("0123456789abcdefABCDEF", c) >= 0 }
func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

func (p *reParser) escape(f *reFlags) (*node, error) {
	if !p.more() {
		return nil, fmt.Errorf("trailing backslash")
	}
	c := p.peek()
	p.pos++
	if s := classEscape(c); s != nil {
		return &node{kind: nClass, set: s}, nil
	}
	switch c {
	case 'b':
		return &node{kind: nWordB}, nil
	case 'B':
		return &node{kind: nNonWordB}, nil
	case 'A', 'G':
		return &node{kind: nBOT}, nil
	case 'z':
		return &node{kind: nEOT}, nil
	case 'Z':
		return &node{kind: nEOTNL}, nil
	case 'Q':
		end := strings.Index(p.src[p.pos:], `\E`)
		lit := p.src[p.pos:]
		if end >= 0 {
			lit = p.src[p.pos : p.pos+end]
			p.pos += end + 2
		} else {
			p.pos = len(p.src)
		}
		var items []*node
		for i := 0; i < len(lit); i++ {
			items = append(items, litNode(lit[i], f))
		}
		return joinConcat(items), nil
	case 'E':
		return nil, nil
	case 'K':
		return nil, fmt.Errorf("\\K is not supported")
	case 'R':
		var s byteSet = setVSpace
		crlf := &node{kind: nLit, lit: []byte("\r\n")}
		p.needBT = true
		return &node{kind: nAtomic, subs: []*node{{kind: nAlt, subs: []*node{crlf, {kind: nClass, set: &s}}}}}, nil
	case 'g', 'k':
		return p.namedBackref(c)
	}
	if c >= '1' && c <= '9' {
		// perlre: \1..\9 are backreferences; longer numbers are
		// backreferences when that many groups exist, else octal.
		start := p.pos - 1
		end := p.pos
		for end < len(p.src) && p.src[end] >= '0' && p.src[end] <= '9' {
			end++
		}
		n, _ := strconv.Atoi(p.src[start:end])
		if end-start == 1 || n <= p.ncap {
			p.pos = end
			p.needBT = true
			return &node{kind: nBackref, cap: n, fold: f.i}, nil
		}
		p.pos = start
		return litNode(p.octal(), f), nil
	}
	b, ok, err := p.charEscape(c)
	if err != nil {
		return nil, err
	}
	if ok {
		return litNode(b, f), nil
	}
	if c == 'p' || c == 'P' || c == 'X' || c == 'N' {
		return nil, fmt.Errorf("unsupported escape \\%c", c)
	}
	return litNode(c, f), nil
}

func (p *reParser) namedBackref(c byte) (*node, error) {
	if !p.more() {
		return nil, fmt.Errorf("bad \\%c", c)
	}
	open := p.peek()
	close := map[byte]byte{'{': '}', '<': '>', '\'': '\''}[open]
	if close == 0 {
		return nil, fmt.Errorf("bad \\%c", c)
	}
	end := strings.IndexByte(p.src[p.pos+1:], close)
	if end < 0 {
		return nil, fmt.Errorf("bad \\%c", c)
	}
	name := p.src[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	n, err := strconv.Atoi(name)
	if err != nil {
		var ok bool
		if n, ok = p.names[name]; !ok {
			return nil, fmt.Errorf("unknown group %q", name)
		}
	}
	if n < 0 {
		n = p.ncap + 1 + n
	}
	p.needBT = true
	return &node{kind: nBackref, cap: n}, nil
}

// class reads a bracketed class after '['.
func (p *reParser) class(f *reFlags) (*node, error) {
	var s byteSet
	neg := false
	if p.more() && p.peek() == '^' {
		neg = true
		p.pos++
	}
	first := true
	for {
		if !p.more() {
			return nil, fmt.Errorf("unterminated [")
		}
		c := p.peek()
		if c == ']' && !first {
			p.pos++
			break
		}
		first = false
		if c == '[' && p.pos+1 < len(p.src) && p.src[p.pos+1] == ':' {
			end := strings.Index(p.src[p.pos:], ":]")
			if end > 0 {
				name := p.src[p.pos+2 : p.pos+end]
				pneg := strings.HasPrefix(name, "^")
				ps, ok := posixSets[strings.TrimPrefix(name, "^")]
				if !ok {
					return nil, fmt.Errorf("unknown POSIX class %q", name)
				}
				x := *ps
				if pneg {
					x.invert()
				}
				s.union(&x)
				p.pos += end + 2
				continue
			}
		}
		lo, set, err := p.classAtom()
		if err != nil {
			return nil, err
		}
		if set != nil {
			s.union(set)
			continue
		}
		if p.pos+1 < len(p.src) && p.peek() == '-' && p.src[p.pos+1] != ']' {
			p.pos++
			hi, hset, err := p.classAtom()
			if err != nil {
				return nil, err
			}
			if hset != nil {
				s.add(lo)
				s.add('-')
				s.union(hset)
				continue
			}
			if hi < lo {
				return nil, fmt.Errorf("invalid range %c-%c", lo, hi)
			}
			s.addRange(int(lo), int(hi))
			continue
		}
		s.add(lo)
	}
	if f.i {
		for c := 'a'; c <= 'z'; c++ {
			if s.has(byte(c)) || s.has(byte(c-32)) {
				s.add(byte(c))
				s.add(byte(c - 32))
			}
		}
	}
	if neg {
		s.invert()
	}
	return &node{kind: nClass, set: &s}, nil
}

// classAtom reads one class member: a byte, or a set for \d-style escapes.
func (p *reParser) classAtom() (byte, *byteSet, error) {
	c := p.peek()
	p.pos++
	if c != '\\' {
		return c, nil, nil
	}
	if !p.more() {
		return 0, nil, fmt.Errorf("trailing backslash")
	}
	e := p.peek()
	p.pos++
	if s := classEscape(e); s != nil {
		return 0, s, nil
	}
	if e == 'b' {
		return '\b', nil, nil
	}
	if e >= '1' && e <= '7' {
		p.pos--
		return p.octal(), nil, nil
	}
	b, ok, err := p.charEscape(e)
	if err != nil {
		return 0, nil, err
	}
	if ok {
		return b, nil, nil
	}
	if e == 'p' || e == 'P' {
		return 0, nil, fmt.Errorf("unsupported escape \\%c", e)
	}
	return e, nil, nil
}

// octal reads up to three octal digits at p.pos.
func (p *reParser) octal() byte {
	v, n := 0, 0
	for n < 3 && p.more() && p.peek() >= '0' && p.peek() <= '7' {
		v = v*8 + int(p.peek()-'0')
		p.pos++
		n++
	}
	return byte(v)
}
