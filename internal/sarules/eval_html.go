package sarules

import (
	"strconv"
	"strings"
	"sync"
)

// HTML eval functions (HTMLEval) over every text/html part.

func (p *pms) htmlDocs() []*htmlDoc {
	var out []*htmlDoc
	for _, part := range p.m.Parts {
		if part.html != nil {
			out = append(out, part.html)
		}
	}
	return out
}

func (d *htmlDoc) number(name string) (float64, bool) {
	switch name {
	case "length":
		return float64(d.length), true
	case "image_area":
		return float64(d.imgArea), true
	case "max_size":
		return float64(d.maxSize), true
	case "min_size":
		return float64(d.minSize), true
	}
	return d.stats.ratio(name)
}

// nonSpaceLen is the rendered length without ASCII white space.
func (d *htmlDoc) nonSpaceLen() int {
	t := d.String()
	n := 0
	for i := 0; i < len(t); i++ {
		if c := t[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' {
			n++
		}
	}
	return n
}

// compareExpr evaluates "v OP n" for the restricted html_eval syntax.
func compareExpr(v float64, expr string) bool {
	expr = strings.TrimSpace(expr)
	for _, op := range []string{">=", "<=", "==", "!=", ">", "<"} {
		if strings.HasPrefix(expr, op) {
			n, err := strconv.ParseFloat(strings.TrimSpace(expr[len(op):]), 64)
			if err != nil {
				return false
			}
			switch op {
			case ">=":
				return v >= n
			case "<=":
				return v <= n
			case "==":
				return v == n
			case "!=":
				return v != n
			case ">":
				return v > n
			}
			return v < n
		}
	}
	return false
}

var htmlEvals = map[string]evalFunc{
	"html_test": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		for _, d := range p.htmlDocs() {
			if a[0] == "html" || d.flags[a[0]] {
				return 1
			}
		}
		return 0
	},
	"html_tag_exists": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		for _, d := range p.htmlDocs() {
			if _, ok := d.tags[strings.ToLower(a[0])]; ok {
				return 1
			}
		}
		return 0
	},
	"html_image_only": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		lo, _ := strconv.ParseFloat(a[0], 64)
		hi, _ := strconv.ParseFloat(a[1], 64)
		for _, d := range p.htmlDocs() {
			l := float64(d.length)
			if d.tags["img"] > 0 && l > lo && l <= hi {
				return 1
			}
		}
		return 0
	},
	"html_image_ratio": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		lo, _ := strconv.ParseFloat(a[0], 64)
		hi, _ := strconv.ParseFloat(a[1], 64)
		for _, d := range p.htmlDocs() {
			if d.imgArea <= 0 {
				continue
			}
			x := float64(d.nonSpaceLen()) / float64(d.imgArea)
			if x > lo && x <= hi {
				return 1
			}
		}
		return 0
	},
	"html_eval": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		for _, d := range p.htmlDocs() {
			if v, ok := d.number(a[0]); ok && compareExpr(v, a[1]) {
				return 1
			}
		}
		return 0
	},
	"html_range": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		lo, _ := strconv.ParseFloat(a[1], 64)
		hi := 1e300
		if len(a) > 2 && a[2] != "inf" {
			hi, _ = strconv.ParseFloat(a[2], 64)
		}
		for _, d := range p.htmlDocs() {
			if v, ok := d.number(a[0]); ok && v > lo && v <= hi {
				return 1
			}
		}
		return 0
	},
	"html_tag_balance": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		for _, d := range p.htmlDocs() {
			if _, ok := d.tags[a[0]]; !ok {
				continue
			}
			if compareExpr(float64(d.inside[a[0]]), a[1]) {
				return 1
			}
		}
		return 0
	},
	"html_text_match": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		re := htmlTextRegex(a[1])
		if re == nil {
			return 0
		}
		for _, d := range p.htmlDocs() {
			var list []string
			switch a[0] {
			case "comment":
				list = d.comments
			case "title":
				list = []string{d.title}
			case "anchor":
				list = d.anchors
			}
			for _, s := range list {
				if re.Match(s, "") {
					return 1
				}
			}
		}
		return 0
	},
}

// htmlTextRegexes caches html_text_match's compiled patterns (nil: does
// not compile), keyed by the pattern as the rule files spell it: the set
// is bounded by the rule files, and a lazy DFA keeps its states.
var htmlTextRegexes sync.Map

func htmlTextRegex(pat string) *Regex {
	if v, ok := htmlTextRegexes.Load(pat); ok {
		return v.(*Regex)
	}
	re, err := CompileRegex(pat)
	if err != nil {
		re, err = compilePattern(pat, pat, "")
	}
	if err != nil {
		re = nil
	}
	v, _ := htmlTextRegexes.LoadOrStore(pat, re)
	return v.(*Regex)
}
