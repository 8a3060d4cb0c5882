package sarules

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// # Capture rules and regex templates
//
// SpamAssassin 4 (feature_capture_rules) lets a rule's named group save
// what it matched under its name, e.g.
//
//	header __GB_TO_ADDR To:addr =~ /(?<GB_TO_ADDR>.*)/
//
// and another rule's regex use it as %{GB_TO_ADDR}, e.g.
//
//	uri __GB_DRUPAL_URI m|^https?://.{10,64}/default/files/(?:\@)?\#%{GB_TO_ADDR}|i
//
// For each message the template is replaced by (?:v1|v2...) of the
// captured values, each quoted as Perl's quotemeta does, and the regex is
// compiled then; with no value the rule does not run. A capture is the
// groups of the first match in the first subject that matches (every
// match with tflags multiple), empty values dropped, as SpamAssassin's
// %- gives them.

// captureTemplateRe finds the %{NAME} templates of a pattern (not after a
// backslash; Go's regexp has no look-behind, so the byte before is
// matched and checked).
var captureTemplateRe = regexp.MustCompile(`(^|[^\\])%\{([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)\}`)

// reTemplate is a regex rule whose pattern holds %{NAME} templates.
type reTemplate struct {
	pat, flags string   // the pattern, unsplit from its delimiters
	names      []string // each template name once
}

// parseTemplate returns the template of a Perl match operator, or nil if
// it has none.
func parseTemplate(src string) *reTemplate {
	pat, flags, err := splitDelimited(src)
	if err != nil || !strings.Contains(pat, "%{") {
		return nil
	}
	t := &reTemplate{pat: pat, flags: flags}
	for _, m := range captureTemplateRe.FindAllStringSubmatch(pat, -1) {
		if !slices.Contains(t.names, m[2]) {
			t.names = append(t.names, m[2])
		}
	}
	if len(t.names) == 0 {
		return nil
	}
	return t
}

// quoteMeta is Perl's quotemeta over bytes: every byte but [A-Za-z0-9_]
// gets a backslash.
func quoteMeta(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isWordByte(c) {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// expand returns the pattern with every template replaced by the
// alternation of its values (each name has at least one).
func (t *reTemplate) expand(vals map[string][]string) string {
	return captureTemplateRe.ReplaceAllStringFunc(t.pat, func(m string) string {
		sub := captureTemplateRe.FindStringSubmatch(m)
		alts := make([]string, len(vals[sub[2]]))
		for i, v := range vals[sub[2]] {
			alts[i] = quoteMeta(v)
		}
		return sub[1] + "(?:" + strings.Join(alts, "|") + ")"
	})
}

// templateCache holds the regexes compiled from expanded templates; it is
// emptied when full (the same recipient often comes back, but there is no
// point in keeping every one).
type templateCache struct {
	mu sync.Mutex
	m  map[string]*Regex
}

const templateCacheMax = 512

func (c *templateCache) compile(src, pat, flags string) (*Regex, error) {
	key := flags + "\x00" + pat
	c.mu.Lock()
	re, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return re, nil
	}
	re, err := compilePattern(src, pat, flags)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= templateCacheMax {
		c.m = map[string]*Regex{}
	}
	c.m[key] = re
	c.mu.Unlock()
	return re, nil
}

// saveCaptures records the named groups of capture rule r, which hit.
func (p *pms) saveCaptures(r *Rule) {
	subs := p.subjectsOf(r)
	re := r.Re
	for _, t := range subs {
		found := false
		for from := 0; from <= len(t.s); {
			st, en, caps, _ := btSearch(re.root, re.ncap, t.s, from, re.first)
			if st < 0 {
				break
			}
			found = true
			for name, k := range re.names {
				if a, b := caps[2*k], caps[2*k+1]; a >= 0 && b > a {
					p.addCapture(name, t.s[a:b])
				}
			}
			if !r.Multiple {
				break
			}
			from = max(en, st+1)
		}
		if found && !r.Multiple {
			return
		}
	}
}

func (p *pms) addCapture(name, v string) {
	if p.captures == nil {
		p.captures = map[string][]string{}
	}
	if !slices.Contains(p.captures[name], v) {
		p.captures[name] = append(p.captures[name], v)
	}
}

// runTemplate runs a template rule: the capture rules it needs first,
// then its regex with their values, if they all have some and one of the
// values occurs in the rule's subjects at all (the expanded regex needs
// one).
func (p *pms) runTemplate(r *Rule) int {
	for _, name := range r.tmpl.names {
		for _, c := range p.rs.capturers[name] {
			p.ruleValue(c)
		}
		if len(p.captures[name]) == 0 {
			return 0
		}
	}
	if !p.anyCaptureIn(r) {
		return 0
	}
	re, err := p.rs.templates.compile(r.Re.Source, r.tmpl.expand(p.captures), r.tmpl.flags)
	if err != nil {
		return 0 // a value the regex syntax cannot take; SpamAssassin's eval fails too
	}
	cp := *r
	cp.Re, cp.tmpl = re, nil
	return p.runPattern(&cp)
}

// anyCaptureIn reports whether some value of the first template name
// occurs, case-insensitively, in a subject of r.
func (p *pms) anyCaptureIn(r *Rule) bool {
	subs := p.subjectsOf(r)
	if subs == nil {
		return true
	}
	for _, v := range p.captures[r.tmpl.names[0]] {
		lv := lowerASCII(v)
		for _, t := range subs {
			if strings.Contains(t.lowered(), lv) {
				return true
			}
		}
	}
	return false
}

// subjectsOf returns the subjects pattern rule r reads (nil for a
// mimeheader rule).
func (p *pms) subjectsOf(r *Rule) []*subjectText {
	switch r.Type {
	case TypeHeader:
		t := p.get(r.Header)
		if !t.ok && r.Unset != nil {
			t = newSubject(*r.Unset)
		}
		return []*subjectText{t}
	case TypeBody:
		return p.body
	case TypeRawbody:
		return p.raw
	case TypeURI:
		return p.uris
	case TypeFull:
		return []*subjectText{p.full}
	}
	return nil
}
