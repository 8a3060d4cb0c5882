package sarules

import (
	"path"
	"sort"
	"strings"
)

// finish compiles the parsed rules: tag replacement, regexes, scores,
// tflags, metas and their evaluation order.
func (p *parser) finish() {
	rs := p.rs
	for _, r := range rs.order {
		p.file, p.line = r.File, r.Line
		if r.Re != nil {
			src := r.Re.Source
			if rs.replaceRules[r.Name] {
				src = replaceTags(rs, src)
			}
			re, err := CompileRegex(src)
			if err != nil {
				p.diag(Error, "rule %s: %v", r.Name, err)
				r.inactive = "regex error"
				r.Re = nil
			} else {
				r.Re = re
			}
		}
		p.applySettings(r)
	}
	rs.buildGlobLists()
	p.indexRegexes()
	for _, r := range rs.order {
		if r.Type == TypeMeta {
			p.file, p.line = r.File, r.Line
			root, deps, err := parseMeta(r.Meta.src, rs.glob)
			if err != nil {
				p.diag(Error, "meta %s: %v", r.Name, err)
				r.inactive = "meta error"
				continue
			}
			r.Meta.root, r.Meta.deps = root, deps
		}
		if r.Eval != "" && r.inactive == "" {
			if _, ok := evalFuncs[r.Eval]; !ok {
				r.inactive = "missing eval " + r.Eval
				rs.missingEvals[r.Eval]++
			}
		}
	}
	rs.sortMetas()
	for _, r := range rs.metas {
		r.Meta.root.resolve(rs.rules)
	}
	for _, r := range rs.metas {
		// a meta over a rule mailwall cannot run is not computed as
		// SpamAssassin computes it: it is blocked in every score set
		// where that rule would run (runs).
		for _, d := range r.Meta.deps {
			dr := rs.rules[d]
			if dr == nil {
				continue
			}
			if dr.inactive != "" {
				r.blockedBy = append(r.blockedBy, dr)
			}
			r.blockedBy = append(r.blockedBy, dr.blockedBy...)
		}
	}
	for _, r := range rs.order {
		if r.Type != TypeMeta {
			rs.byType[r.Type] = append(rs.byType[r.Type], r)
		}
	}
	rs.buildGates()
}

func (p *parser) applySettings(r *Rule) {
	rs := p.rs
	r.Describe = rs.describes[r.Name]
	r.Priority = rs.priorities[r.Name]
	r.Tflags = rs.tflags[r.Name]
	for _, f := range strings.Fields(r.Tflags) {
		switch {
		case f == "net":
			r.Net = true
		case f == "nice":
			r.Nice = true
		case f == "learn":
			r.Learn = true
		case f == "userconf":
			r.UserConf = true
		case f == "noautolearn":
			r.NoAutoLearn = true
		case f == "multiple":
			r.Multiple = true
		case f == "nosubject":
			r.NoSubject = true
		case strings.HasPrefix(f, "maxhits="):
			n := 0
			for _, c := range f[len("maxhits="):] {
				if c >= '0' && c <= '9' {
					n = n*10 + int(c-'0')
				}
			}
			r.MaxHits = n
			r.Multiple = true
		}
	}
	if sc, ok := rs.scoresPending[r.Name]; ok {
		r.scores, r.hasScore = sc, true
	} else {
		def := 1.0
		if strings.HasPrefix(r.Name, "T_") {
			def = 0.01
		}
		if r.Nice {
			def = -def
		}
		r.scores = [4]float64{def, def, def, def}
	}
}

// glob expands rules_matching(GLOB) to rule names.
func (rs *Ruleset) glob(pattern string) []string {
	var out []string
	for _, r := range rs.order {
		if ok, _ := path.Match(pattern, r.Name); ok {
			out = append(out, r.Name)
		}
	}
	sort.Strings(out)
	return out
}

// sortMetas orders metas so that each comes after the metas it uses.
func (rs *Ruleset) sortMetas() {
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(r *Rule)
	visit = func(r *Rule) {
		if state[r.Name] != 0 {
			if state[r.Name] == 1 && r.inactive == "" {
				r.inactive = "meta loop"
			}
			return
		}
		state[r.Name] = 1
		if r.Meta != nil {
			for _, d := range r.Meta.deps {
				if dr := rs.rules[d]; dr != nil && dr.Type == TypeMeta {
					visit(dr)
				}
			}
		}
		state[r.Name] = 2
		rs.metas = append(rs.metas, r)
	}
	for _, r := range rs.order {
		if r.Type == TypeMeta && r.Meta.root != nil {
			visit(r)
		}
	}
}

// replaceTags expands ReplaceTags' <TAG>, <pre X>, <post X>, <inter X> in a
// pattern, as Mail::SpamAssassin::Plugin::ReplaceTags does.
func replaceTags(rs *Ruleset, src string) string {
	for pass := 0; pass < 10; pass++ {
		again := false
		var pre, post, inter string
		take := func(kind string) string {
			i := strings.Index(src, "<"+kind+" ")
			if i < 0 {
				return ""
			}
			j := strings.IndexByte(src[i:], '>')
			if j < 0 {
				return ""
			}
			name := src[i+len(kind)+2 : i+j]
			src = src[:i] + src[i+j+1:]
			return name
		}
		pre, post, inter = take("pre"), take("post"), take("inter")
		parts := splitTags(src)
		for i, part := range parts {
			isTag := len(part) > 2 && part[0] == '<' && part[len(part)-1] == '>'
			if isTag {
				if v := rs.replacePre[pre]; pre != "" && v != "" {
					part = v + part
				}
				if v := rs.replacePost[post]; post != "" && v != "" {
					part = part + v
				}
				name := part[strings.IndexByte(part, '<')+1 : strings.LastIndexByte(part, '>')]
				if v, ok := rs.replaceTags[name]; ok && v != "" {
					part = strings.Replace(part, "<"+name+">", v, 1)
					if strings.Contains(v, "<") && strings.Contains(v, ">") {
						again = true
					}
				}
			} else if part == "" && inter != "" {
				part = rs.replaceInter[inter]
			}
			parts[i] = part
		}
		src = strings.Join(parts, "")
		if !again {
			break
		}
	}
	return src
}

// splitTags splits s like Perl's split(/(<[^<>]+>)/, s): text and tags
// alternate, an empty text between adjacent tags, no trailing empty text.
func splitTags(s string) []string {
	var out []string
	text := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != '<' && s[j] != '>' {
			j++
		}
		if j < len(s) && s[j] == '>' && j > i+1 {
			out = append(out, s[text:i], s[i:j+1])
			text = j + 1
			i = j
		}
	}
	out = append(out, s[text:])
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// indexRegexes prepares the compiled rule regexes for matching: capture
// rules and templates (capture.go), the literal scans (one per kind of
// subject, with the literals of that kind's rules only: the full text
// need not be searched for the body rules' thousands of words), the
// regex sets, and the compaction of regexes that only need their DFA.
func (p *parser) indexRegexes() {
	rs := p.rs
	var res [gateKinds][]*Regex // by the kind of subject they read
	rs.capturers, rs.templates = map[string][]*Rule{}, &templateCache{}
	for _, r := range rs.order {
		if r.Re == nil {
			continue
		}
		if r.tmpl = parseTemplate(r.Re.Source); r.tmpl != nil {
			// the literal text of a template is not what it matches
			r.Re.lits, r.Re.also = nil, nil
			continue
		}
		k := scanKind(r.Type)
		res[k] = append(res[k], r.Re)
		for name := range r.Re.names {
			rs.capturers[name] = append(rs.capturers[name], r)
		}
	}
	for k := range res {
		rs.scans[k] = newLitScanner(res[k])
	}
	p.buildHyperscanGroups()
	p.buildSets()
	for _, r := range rs.order {
		if r.Re != nil && r.tmpl == nil && r.inactive == "" && !r.Multiple && r.Re.names == nil {
			r.Re.compact()
		}
	}
	for _, set := range rs.sets {
		for _, re := range set.members {
			d := re.dfa
			re.setExact = d != nil && (d.exact || d.asGo && re.re != nil)
		}
	}
}

// buildSets puts the regexes of the running rules that have no literal
// prefilter into regex sets (regex_set.go), one group per subject: body,
// rawbody, uri, full, and each header request. Regexes that are cheap
// alone stay out (see cheapAlone).
func (p *parser) buildSets() {
	groups := map[string][]*Regex{}
	var keys []string
	for _, r := range p.rs.order {
		if r.Re == nil || r.Re.lits != nil || r.tmpl != nil || r.inactive != "" || r.Neg || r.Exists || r.Re.cheapAlone() {
			continue
		}
		key := subjectGroup(r)
		if key == "" {
			continue
		}
		if groups[key] == nil {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], r.Re)
	}
	for _, k := range keys {
		g := groups[k]
		nclass := func(re *Regex) int {
			if d := re.lazyDFA(); d != nil {
				return d.nclass
			}
			return 1 << 10
		}
		sort.SliceStable(g, func(i, j int) bool { return nclass(g[i]) < nclass(g[j]) })
		p.rs.sets = append(p.rs.sets, buildRegexSets(g, len(p.rs.sets))...)
	}
}
