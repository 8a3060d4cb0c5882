package sarules

import (
	"strings"
	"sync"
)

// WelcomeListSubject's evals: check_subject_in_welcomelist and
// check_subject_in_blocklist (and their whitelist/blacklist names), over
// the welcomelist_subject and blocklist_subject entries.
var subjectListEvals = map[string]evalFunc{
	"check_subject_in_welcomelist": func(p *pms, r *Rule, a []string) int { return p.subjectInList("welcomelist_subject") },
	"check_subject_in_whitelist":   func(p *pms, r *Rule, a []string) int { return p.subjectInList("welcomelist_subject") },
	"check_subject_in_blocklist":   func(p *pms, r *Rule, a []string) int { return p.subjectInList("blocklist_subject") },
	"check_subject_in_blacklist":   func(p *pms, r *Rule, a []string) int { return p.subjectInList("blocklist_subject") },
}

// subjectInList is WelcomeListSubject's _check_subject: an entry (the
// lower-cased rest of its directive's line, a glob with * and ?) found
// anywhere in the lower-cased Subject. QUIRK: the plugin's pattern is
// not anchored, so an entry matches part of a Subject.
func (p *pms) subjectInList(name string) int {
	l := p.rs.addrLists[name]
	if l == nil {
		return 0
	}
	subject := p.get("Subject").s
	if subject == "" {
		return 0
	}
	subject = lowerASCII(subject)
	for _, e := range *l {
		if re := subjectGlob(e); re != nil && re.Match(subject, "") {
			return 1
		}
	}
	return 0
}

var subjectGlobs sync.Map // entry -> *Regex (nil: does not compile)

// subjectGlob is the plugin's pattern for an entry: every byte but
// [*?_a-zA-Z0-9] literal, ? any byte but a newline, a run of * any
// string without one.
func subjectGlob(entry string) *Regex {
	if re, ok := subjectGlobs.Load(entry); ok {
		return re.(*Regex)
	}
	var b strings.Builder
	for i := 0; i < len(entry); i++ {
		switch c := entry[i]; {
		case c == '?':
			b.WriteByte('.')
		case c == '*':
			for i+1 < len(entry) && entry[i+1] == '*' {
				i++
			}
			b.WriteString(".*")
		case c < 0x80 && !isWordByte(c):
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	re, err := compilePattern("/"+b.String()+"/", b.String(), "")
	if err != nil {
		re = nil
	}
	subjectGlobs.Store(entry, re)
	return re
}
