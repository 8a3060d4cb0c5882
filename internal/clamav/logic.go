package clamav

import (
	"errors"
	"fmt"
)

// # Logical expressions (.ldb)
//
// Subsignatures are numbered from 0; "&" and "|" combine them ("&" binds
// tighter), parentheses group; a subsignature or group may be followed by
// a count condition: "=n" exactly n matches, ">n" more than n, "<n" fewer
// than n, and ",m" at least m distinct subsignatures of the group matched.
// A group's count is the sum of its subsignatures' counts.

type node struct {
	op       byte // 'n' subsig, '&', '|', 'g' group
	sub      int
	kids     []*node
	cmp      byte // 0, '=', '>', '<'
	n, m     int
	hasCount bool
}

// maxExprDepth bounds nesting so a hostile line cannot overflow the stack.
const maxExprDepth = 64

type exprParser struct {
	s     string
	i     int
	depth int
	nsub  int // highest subsignature index + 1 seen
}

func parseExpr(s string) (*node, int, error) {
	p := &exprParser{s: s}
	n, err := p.or()
	if err == nil && p.i != len(p.s) {
		err = fmt.Errorf("unexpected %q at %d", p.s[p.i], p.i)
	}
	return n, p.nsub, err
}

func (p *exprParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *exprParser) or() (*node, error)  { return p.binary('|', p.and) }
func (p *exprParser) and() (*node, error) { return p.binary('&', p.unary) }

func (p *exprParser) binary(op byte, next func() (*node, error)) (*node, error) {
	first, err := next()
	if err != nil || p.peek() != op {
		return first, err
	}
	n := &node{op: op, kids: []*node{first}}
	for p.peek() == op {
		p.i++
		k, err := next()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, k)
	}
	return n, nil
}

func (p *exprParser) unary() (*node, error) {
	var n *node
	switch c := p.peek(); {
	case c == '(':
		if p.depth++; p.depth > maxExprDepth {
			return nil, errors.New("expression nested too deep")
		}
		p.i++
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, errors.New("missing )")
		}
		p.i++
		p.depth--
		n = &node{op: 'g', kids: []*node{inner}}
	case c >= '0' && c <= '9':
		v, _ := p.num()
		n = &node{op: 'n', sub: v}
		p.nsub = max(p.nsub, v+1)
	default:
		return nil, fmt.Errorf("unexpected %q at %d", c, p.i)
	}
	if c := p.peek(); c == '=' || c == '>' || c == '<' {
		p.i++
		v, ok := p.num()
		if !ok {
			return nil, errors.New("count without number")
		}
		n.cmp, n.n, n.hasCount = c, v, true
		if p.peek() == ',' {
			p.i++
			if n.m, ok = p.num(); !ok {
				return nil, errors.New("bad ,m")
			}
		}
	}
	return n, nil
}

func (p *exprParser) num() (int, bool) {
	v, start := 0, p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' && p.i-start < 9 {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	return v, p.i > start
}

// eval returns whether the expression holds, and the match count and the
// number of distinct subsignatures matched under n.
func (n *node) eval(count func(int) int) (ok bool, total, distinct int) {
	switch n.op {
	case 'n':
		total = count(n.sub)
		if total > 0 {
			distinct = 1
		}
		ok = total > 0
	case 'g':
		ok, total, distinct = n.kids[0].eval(count)
	default:
		ok = n.op == '&'
		for _, k := range n.kids {
			kok, t, d := k.eval(count)
			total += t
			distinct += d
			if n.op == '&' {
				ok = ok && kok
			} else {
				ok = ok || kok
			}
		}
	}
	if n.hasCount {
		switch n.cmp {
		case '=':
			ok = total == n.n
		case '>':
			ok = total > n.n
		case '<':
			ok = total < n.n
		}
		if n.m > 0 && distinct < n.m {
			ok = false
		}
	}
	return ok, total, distinct
}
