package sarules

import (
	"regexp"
	"strconv"
	"strings"
)

// ruleDef is a rule as written, compiled by finish.
type ruleDef struct {
	name, typ, rest string
	file            string
	line            int
}

var ruleTypes = map[string]RuleType{
	"header": TypeHeader, "body": TypeBody, "rawbody": TypeRawbody, "full": TypeFull,
	"uri": TypeURI, "meta": TypeMeta, "mimeheader": TypeMimeheader,
}

func (p *parser) directive(key, value string) {
	if t, ok := ruleTypes[key]; ok {
		p.defineRule(t, value)
		return
	}
	if p.setting(key, value) {
		return
	}
	if ignoredDirectives[key] {
		return
	}
	p.rs.unknown[key]++
	p.diag(Warning, "unknown directive %q (ignored)", key)
}

func (p *parser) defineRule(t RuleType, value string) {
	name, rest, _ := strings.Cut(value, " ")
	if i := strings.IndexByte(name, '\t'); i >= 0 {
		name, rest = name[:i], name[i+1:]+" "+rest
	}
	rest = strings.TrimSpace(rest)
	if !validRuleName(name) {
		p.diag(Error, "invalid rule name %q", name)
		return
	}
	if rest == "" {
		p.diag(Error, "rule %s has no definition", name)
		return
	}
	r := &Rule{Name: name, Type: t, File: p.file, Line: p.line}
	if err := parseRuleBody(r, rest); err != nil {
		p.diag(Error, "rule %s: %v", name, err)
		return
	}
	old, ok := p.rs.rules[name]
	if ok {
		// redefinition replaces the rule but keeps its place
		r.idx = old.idx
		p.rs.order[r.idx] = r
	} else {
		r.idx = len(p.rs.order)
		p.rs.order = append(p.rs.order, r)
	}
	p.rs.rules[name] = r
}

var ruleNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validRuleName(s string) bool { return len(s) <= 100 && ruleNameRe.MatchString(s) }

var (
	headerRuleRe = regexp.MustCompile(`^(\S+?)\s*(=~|!~)\s*(.+?)(?:\s+\[if-unset:\s*(.*?)\])?\s*$`)
	evalRe       = regexp.MustCompile(`^eval:\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$`)
)

// parseRuleBody reads the definition part of a rule into r; patterns are
// kept as source (r.Re.Source) and compiled by finish.
func parseRuleBody(r *Rule, rest string) error {
	if r.Type == TypeMeta {
		r.Meta = &metaExpr{src: rest}
		return nil
	}
	if strings.HasPrefix(rest, "eval:") {
		m := evalRe.FindStringSubmatch(rest)
		if m == nil {
			return errf("bad eval %q", rest)
		}
		r.Eval = m[1]
		args, err := parseEvalArgs(m[2])
		if err != nil {
			return err
		}
		r.EvalArgs = args
		return nil
	}
	if r.Type == TypeHeader || r.Type == TypeMimeheader {
		if strings.HasPrefix(rest, "exists:") {
			r.Exists = true
			r.Header = strings.TrimSpace(strings.TrimPrefix(rest, "exists:"))
			return nil
		}
		if strings.HasPrefix(rest, "rbleval:") || strings.HasPrefix(rest, "dkim") {
			r.Eval = "rbleval"
			return nil
		}
		m := headerRuleRe.FindStringSubmatch(rest)
		if m == nil {
			return errf("bad header rule %q", rest)
		}
		r.Header, r.Neg = m[1], m[2] == "!~"
		r.Re = &Regex{Source: m[3]}
		if m[4] != "" || strings.Contains(rest, "[if-unset:") {
			u := m[4]
			r.Unset = &u
		}
		return nil
	}
	r.Re = &Regex{Source: rest}
	return nil
}

// parseEvalArgs splits eval arguments: quoted strings, numbers, barewords.
func parseEvalArgs(s string) ([]string, error) {
	var out []string
	s = strings.TrimSpace(s)
	for s != "" {
		switch c := s[0]; c {
		case '\'', '"':
			end := strings.IndexByte(s[1:], c)
			if end < 0 {
				return nil, errf("unterminated string in eval arguments")
			}
			out = append(out, s[1:1+end])
			s = s[end+2:]
		default:
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			out = append(out, strings.TrimSpace(s[:end]))
			s = s[end:]
		}
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, ",") {
			s = strings.TrimSpace(s[1:])
		} else if s != "" {
			return nil, errf("bad eval arguments near %q", s)
		}
	}
	return out, nil
}

// parseScores reads "1.0" or "1 2 3 4", each optionally in parentheses.
func parseScores(fields []string) ([4]float64, bool) {
	var sc [4]float64
	if len(fields) != 1 && len(fields) != 4 {
		return sc, false
	}
	for i, f := range fields {
		f = strings.TrimSuffix(strings.TrimPrefix(f, "("), ")")
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return sc, false
		}
		sc[i] = v
	}
	if len(fields) == 1 {
		sc = [4]float64{sc[0], sc[0], sc[0], sc[0]}
	}
	return sc, true
}
