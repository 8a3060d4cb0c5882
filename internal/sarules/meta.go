package sarules

import (
	"fmt"
	"strconv"
	"strings"
)

// # Meta expressions
//
// meta NAME expr combines other rules: rule names (their hit count, 0 when
// they did not hit or did not run), numbers, ( ), ! && || + - * / and
// comparisons > >= < <= == !=. Values follow Perl: && and || return an
// operand, ! and comparisons return 0 or 1. rules_matching(GLOB) stands for
// the sum of every rule whose name matches GLOB.

type metaExpr struct {
	src  string
	root *metaNode
	deps []string
}

type metaNode struct {
	op    string // "num", "rule", "!", "neg", or a binary operator
	num   float64
	rule  string
	rules []string // rules_matching expansion, summed
	l, r  *metaNode
	// ref and refs are rule and rules resolved (resolve); nil for a
	// name no rule has, which counts 0.
	ref  *Rule
	refs []*Rule
	code metaOp // op as a number, set by parseMeta
}

// metaOp is metaNode.op as a number, so eval switches on an int.
type metaOp uint8

const (
	metaNone metaOp = iota // an unknown op: 0
	metaRule
	metaNum
	metaSum
	metaNot
	metaNeg
	metaAnd
	metaOr
	metaAdd
	metaSub
	metaMul
	metaDiv
	metaEq
	metaNe
	metaLt
	metaGt
	metaLe
	metaGe
)

var metaOps = map[string]metaOp{"rule": metaRule, "num": metaNum, "sum": metaSum, "!": metaNot,
	"neg": metaNeg, "&&": metaAnd, "||": metaOr, "+": metaAdd, "-": metaSub, "*": metaMul,
	"/": metaDiv, "==": metaEq, "!=": metaNe, "<": metaLt, ">": metaGt, "<=": metaLe, ">=": metaGe}

// resolve links the rule names under n to their rules.
func (n *metaNode) resolve(rules map[string]*Rule) {
	if n == nil {
		return
	}
	n.ref = rules[n.rule]
	n.refs = n.refs[:0]
	for _, name := range n.rules {
		n.refs = append(n.refs, rules[name])
	}
	n.l.resolve(rules)
	n.r.resolve(rules)
}

type metaParser struct {
	toks []string
	pos  int
	deps map[string]bool
	glob func(string) []string
}

func tokenizeMeta(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.HasPrefix(s[i:], "&&") || strings.HasPrefix(s[i:], "||") ||
			strings.HasPrefix(s[i:], ">=") || strings.HasPrefix(s[i:], "<=") ||
			strings.HasPrefix(s[i:], "==") || strings.HasPrefix(s[i:], "!="):
			toks = append(toks, s[i:i+2])
			i += 2
		case strings.IndexByte("()!+-*/<>", c) >= 0:
			toks = append(toks, s[i:i+1])
			i++
		case c == '_' || isASCIILetter(c) || (c >= '0' && c <= '9') || c == '.':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '.' || isASCIILetter(s[j]) || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			tok := s[i:j]
			if tok == "rules_matching" {
				end := strings.IndexByte(s[j:], ')')
				if end < 0 {
					return nil, fmt.Errorf("bad rules_matching")
				}
				tok = "rules_matching:" + strings.Trim(strings.TrimSpace(s[j:j+end]), "( ")
				j += end + 1
			}
			toks = append(toks, tok)
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q in meta", c)
		}
	}
	return toks, nil
}

func parseMeta(src string, glob func(string) []string) (*metaNode, []string, error) {
	toks, err := tokenizeMeta(src)
	if err != nil {
		return nil, nil, err
	}
	p := &metaParser{toks: toks, deps: map[string]bool{}, glob: glob}
	n, err := p.binary(0)
	if err != nil {
		return nil, nil, err
	}
	if p.pos != len(p.toks) {
		return nil, nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	var deps []string
	for d := range p.deps {
		deps = append(deps, d)
	}
	n.setCodes()
	return n, deps, nil
}

func (n *metaNode) setCodes() {
	if n == nil {
		return
	}
	n.code = metaOps[n.op]
	n.l.setCodes()
	n.r.setCodes()
}

var metaPrec = map[string]int{"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6}

func (p *metaParser) binary(min int) (*metaNode, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.pos < len(p.toks) {
		op := p.toks[p.pos]
		prec, ok := metaPrec[op]
		if !ok || prec <= min-1 || prec < min {
			break
		}
		p.pos++
		r, err := p.binary(prec + 1)
		if err != nil {
			return nil, err
		}
		l = &metaNode{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *metaParser) unary() (*metaNode, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("unexpected end of meta")
	}
	t := p.toks[p.pos]
	p.pos++
	switch {
	case t == "!":
		n, err := p.unary()
		return &metaNode{op: "!", l: n}, err
	case t == "-":
		n, err := p.unary()
		return &metaNode{op: "neg", l: n}, err
	case t == "(":
		n, err := p.binary(0)
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos] != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return n, nil
	case strings.HasPrefix(t, "rules_matching:"):
		var names []string
		if p.glob != nil {
			names = p.glob(strings.TrimPrefix(t, "rules_matching:"))
		}
		for _, n := range names {
			p.deps[n] = true
		}
		return &metaNode{op: "sum", rules: names}, nil
	case t[0] >= '0' && t[0] <= '9' || t[0] == '.':
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", t)
		}
		return &metaNode{op: "num", num: v}, nil
	case t[0] == '_' || isASCIILetter(t[0]):
		p.deps[t] = true
		return &metaNode{op: "rule", rule: t}, nil
	}
	return nil, fmt.Errorf("unexpected %q", t)
}
