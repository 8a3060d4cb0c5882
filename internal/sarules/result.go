package sarules

import (
	"fmt"
	"strings"
)

// Version and SubVersion are reported in _VERSION_ and _SUBVERSION_; the
// rule set is SpamAssassin's, so its version is what admins expect.
const (
	Version    = "4.0.1"
	SubVersion = "mailwall"
)

// # Templates
//
// add_header and report text is expanded like SpamAssassin's
// _get_tag: _YESNO_ _YESNOCAPS_ _SCORE_ _REQD_ _TESTS_ _TESTSSCORES_
// _AUTOLEARN_ _VERSION_ _SUBVERSION_ _BAYES_ _HITS_ _STARS(x)_ _REPORT_
// _SUMMARY_ _HOSTNAME_ _CONTACTADDRESS_ _PREVIEW_ and _YESNO(yes,no)_.

func (r *Result) tag(name, arg string) (string, bool) {
	switch name {
	case "YESNO":
		if arg != "" {
			yes, no, _ := strings.Cut(arg, ",")
			if r.IsSpam {
				return yes, true
			}
			return no, true
		}
		if r.IsSpam {
			return "Yes", true
		}
		return "No", true
	case "YESNOCAPS":
		if r.IsSpam {
			return "YES", true
		}
		return "NO", true
	case "SCORE", "HITS":
		return fmt.Sprintf("%.1f", r.Score), true
	case "REQD":
		return fmt.Sprintf("%.1f", r.Required), true
	case "TESTS":
		if arg == "" {
			arg = ","
		}
		t := strings.Join(r.Tests(), arg)
		if t == "" {
			return "none", true
		}
		return t, true
	case "TESTSSCORES":
		if arg == "" {
			arg = ","
		}
		var parts []string
		for _, h := range r.Hits {
			parts = append(parts, fmt.Sprintf("%s=%.3f", h.Name, h.Score))
		}
		if len(parts) == 0 {
			return "none", true
		}
		return strings.Join(parts, arg), true
	case "AUTOLEARN":
		return r.Autolearn, true
	case "VERSION":
		return Version, true
	case "SUBVERSION":
		return SubVersion, true
	case "BAYES":
		return fmt.Sprintf("%.4f", r.Bayes), true
	case "STARS":
		if arg == "" {
			arg = "*"
		}
		n := int(r.Score)
		n = max(0, min(n, 50))
		return strings.Repeat(arg, n), true
	case "REPORT":
		var b strings.Builder
		for _, h := range r.Hits {
			fmt.Fprintf(&b, "\n\t* %4.1f %s %s", h.Score, h.Name, h.Area+h.Description)
		}
		return b.String(), true
	case "SUMMARY":
		return r.summary(), true
	case "HOSTNAME":
		return "localhost", true
	case "CONTACTADDRESS":
		return "the administrator of that system", true
	case "PREVIEW":
		return "", true
	}
	return "", false
}

// expand replaces _TAG_ and _TAG(arg)_ in s.
func (r *Result) expand(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '_')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		j := 1
		for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		name := s[1:j]
		arg := ""
		end := j
		if j < len(s) && s[j] == '(' {
			if k := strings.Index(s[j:], ")_"); k > 0 {
				arg = s[j+1 : j+k]
				end = j + k + 1
			}
		}
		if name != "" && end < len(s) && s[end] == '_' {
			if v, ok := r.tag(name, arg); ok {
				b.WriteString(v)
				s = s[end+1:]
				continue
			}
		}
		b.WriteByte('_')
		s = s[1:]
	}
}

// renderHeaders expands add_header for this result. Values never contain
// CR or LF (RELIABILITY.md): line breaks become folding whitespace.
func (r *Result) renderHeaders() []Header {
	var out []Header
	for _, h := range r.rs.headers {
		if h.when == "spam" && !r.IsSpam || h.when == "ham" && r.IsSpam {
			continue
		}
		v := r.expand(h.value)
		v = strings.NewReplacer("\r", "", "\n", "\n\t").Replace(v)
		out = append(out, Header{Name: "X-Spam-" + h.name, Value: v})
	}
	return out
}

// StatusHeader returns the X-Spam-Status value.
func (r *Result) StatusHeader() string {
	return fmt.Sprintf("%s, score=%.1f required=%.1f tests=%s autolearn=%s version=%s",
		map[bool]string{true: "Yes", false: "No"}[r.IsSpam], r.Score, r.Required,
		strings.Join(r.Tests(), ","), r.Autolearn, Version)
}

func (r *Result) summary() string {
	var b strings.Builder
	for i, h := range r.Hits {
		if i > 0 {
			b.WriteByte('\n')
		}
		desc := h.Area + h.Description
		fmt.Fprintf(&b, "%4.1f %-22s %s", h.Score, h.Name, desc)
	}
	return b.String()
}

// Report returns the "Content analysis details" block as spamassassin -t
// prints it.
func (r *Result) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nContent analysis details:   (%.1f points, %.1f required)\n\n", r.Score, r.Required)
	b.WriteString(" pts rule name              description\n")
	b.WriteString("---- ---------------------- --------------------------------------------------\n")
	if s := r.summary(); s != "" {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}
