package sarules

import (
	"encoding/base64"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
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
		return r.scoreTag(arg), true
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
			parts = append(parts, h.Name+"="+perlNumber(h.Score))
		}
		if len(parts) == 0 {
			return "none", true
		}
		return strings.Join(parts, arg), true
	case "AUTOLEARN":
		return r.Autolearn, true
	case "AUTOLEARNSCORE":
		return perlNumber(r.AutoLearnPoints().Points), true
	case "VERSION":
		return Version, true
	case "SUBVERSION":
		return SubVersion, true
	case "BAYES":
		if !r.BayesOK {
			return "0.5", true
		}
		return fmt.Sprintf("%3.4f", r.Bayes), true
	case "STARS":
		if arg == "" {
			arg = "*"
		}
		n := int(r.Score)
		n = max(0, min(n, 50))
		return strings.Repeat(arg, n), true
	case "REPORT":
		return "\n" + r.hitLines(true), true
	case "SUMMARY":
		return r.hitLines(false), true
	case "HOSTNAME":
		return r.hostname(), true
	case "CONTACTADDRESS":
		if r.rs == nil {
			return "the administrator of that system", true
		}
		return r.rs.reportContact, true
	case "PREVIEW":
		return r.preview(), true
	case "DATE":
		return rfc822Date(time.Now()), true
	case "HEADER":
		if arg == "" || r.m == nil {
			return "", true
		}
		return r.m.HeaderGet(arg), true
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

// renderHeaders expands add_header for this result and folds the values
// as SpamAssassin's _process_header does with fold_headers on: a value
// with line breaks keeps them as folding ("\n\t"), a long one-line value
// is wrapped at 79 columns after blanks and commas. Values never contain
// CR, and every LF is followed by a tab (RELIABILITY.md).
func (r *Result) renderHeaders() []Header {
	var out []Header
	for _, h := range r.rs.headers {
		if h.when == "spam" && !r.IsSpam || h.when == "ham" && r.IsSpam {
			continue
		}
		name := "X-Spam-" + h.name
		out = append(out, Header{Name: name, Value: encodeHeaderValue(foldValue(name, r.expand(h.value)))})
	}
	return out
}

// encodeHeaderValue makes a folded header value ASCII as SpamAssassin's
// mime_encode_header does (RFC 2047, UTF-8): on each line holding bytes
// outside printable ASCII, the stretch from after the last blank of the
// ASCII lead to before the ASCII tail that starts at a blank becomes one
// encoded word, Q when that is no longer than B would be, else B. An
// add_header template or a rule description in another script then
// still gives a valid header field.
func encodeHeaderValue(v string) string {
	if isPrintableASCII(v) {
		return v
	}
	var b strings.Builder
	for line := range strings.Lines(v) {
		body, nl := strings.CutSuffix(line, "\n")
		if isPrintableASCII(body) {
			b.WriteString(line)
			continue
		}
		// the tail: printable ASCII to the end, from a blank (kept in
		// it) or the line's start
		tail := len(body)
		for i := len(body) - 1; i >= 0 && isPrintableASCIIByte(body[i]); i-- {
			if body[i] == ' ' || body[i] == '\t' {
				tail = i
			}
		}
		// the lead: printable ASCII up to and with its last blank
		lead := 0
		for i := 0; i < tail && isPrintableASCIIByte(body[i]); i++ {
			if body[i] == ' ' || body[i] == '\t' {
				lead = i + 1
			}
		}
		b.WriteString(body[:lead])
		b.WriteString(encodedWord(body[lead:tail]))
		b.WriteString(body[tail:])
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// encodedWord is s as one RFC 2047 encoded word in UTF-8, chosen as
// mime_encode_header chooses: Q unless that is longer than B.
func encodedWord(s string) string {
	special := func(c byte) bool { return c == '=' || c == '?' || c == '_' || c < 0x20 || c >= 0x7f }
	n := 0
	for i := 0; i < len(s); i++ {
		if special(s[i]) {
			n++
		}
	}
	if float64(len(s)+2*n) > float64(4*(len(s)+2))/3 {
		return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
	}
	var b strings.Builder
	b.WriteString("=?UTF-8?Q?")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			b.WriteByte('_')
		case special(c):
			fmt.Fprintf(&b, "=%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString("?=")
	return b.String()
}

func isPrintableASCIIByte(c byte) bool { return c == '\t' || c >= 0x20 && c <= 0x7e }

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isPrintableASCIIByte(c) && c != '\n' {
			return false
		}
	}
	return true
}

// StatusHeader returns the X-Spam-Status value.
func (r *Result) StatusHeader() string {
	return fmt.Sprintf("%s, score=%.1f required=%.1f tests=%s autolearn=%s version=%s",
		map[bool]string{true: "Yes", false: "No"}[r.IsSpam], r.Score, r.Required,
		strings.Join(r.Tests(), ","), r.Autolearn, Version)
}

// scoreTag is _SCORE(PAD)_: one decimal, and QUIRK: a ham scoring
// exactly the required score at one decimal shows required-0.1, so the
// header never says "score=5.0 required=5.0" on ham (SpamAssassin bug 6419).
func (r *Result) scoreTag(pad string) string {
	s := fmt.Sprintf("%.1f", r.Score)
	req := fmt.Sprintf("%.1f", r.Required)
	sv, _ := strconv.ParseFloat(s, 64)
	rv, _ := strconv.ParseFloat(req, 64)
	if !r.IsSpam && sv >= rv {
		s = perlNumber(math.Round((rv-0.1)*10) / 10)
	}
	if pad != "" && (strings.Trim(pad, "0") == "" || strings.Trim(pad, " ") == "") {
		if n := len(pad) + 3 - len(s); n > 0 {
			s = pad[:min(n, len(pad))] + s
		}
	}
	return s
}

// perlNumber formats f as Perl stringifies a number (%.15g).
func perlNumber(f float64) string {
	return strconv.FormatFloat(f, 'g', 15, 64)
}

// hitLines are the per-rule lines of _REPORT_ (report true) or _SUMMARY_,
// as SpamAssassin's check_cleanup builds them: scores of 10 or more
// without decimals, descriptions wrapped at report_wrap_width (75).
func (r *Result) hitLines(report bool) string {
	var b strings.Builder
	for _, h := range r.Hits {
		sc := fmt.Sprintf("%4.1f", h.Score)
		if h.Score >= 10 || h.Score <= -10 {
			sc = fmt.Sprintf("%4.0f", h.Score)
		}
		if report {
			desc := wrapDesc(h.Description, 4+len(h.Name)+len(sc)+len(h.Area), "*      ")
			fmt.Fprintf(&b, "* %s %s %s%s\n", sc, h.Name, h.Area, desc)
		} else {
			desc := wrapDesc(h.Description, 3+len(h.Name)+len(sc)+len(h.Area), strings.Repeat(" ", 28))
			fmt.Fprintf(&b, "%s %-22s %s%s\n", sc, h.Name, h.Area, desc)
		}
	}
	return b.String()
}

func (r *Result) summary() string { return strings.TrimSuffix(r.hitLines(false), "\n") }

// hostname is _HOSTNAME_: report_hostname, else this host's name.
func (r *Result) hostname() string {
	if r.rs != nil && r.rs.reportHostname != "" {
		return r.rs.reportHostname
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
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
