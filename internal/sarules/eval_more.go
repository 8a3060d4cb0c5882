package sarules

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// More header, body and MIME evals: HeaderEval's
// check_for_matching_env_and_hdr_from and check_for_to_in_subject,
// MIMEEval's check_for_uppercase, BodyEval's tvd_vertical_words and
// multipart_alternative_difference(_count).
var moreEvals = map[string]evalFunc{
	// Two empty values match too.
	"check_for_matching_env_and_hdr_from": func(p *pms, r *Rule, a []string) int {
		return btoi(lowerASCII(p.first("EnvelopeFrom:addr")) == lowerASCII(p.first("From:addr")))
	},
	"check_for_to_in_subject": checkToInSubject,
	"check_for_uppercase": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		u := p.uppercase()
		return btoi(u > perlNum(a[0]) && u <= perlNum(a[1]))
	},
	"tvd_vertical_words": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		min, max := perlNum(a[0]), perlNum(a[1])
		if max >= 100 {
			max = 101
		}
		v := float64(p.verticalWords())
		return btoi(v >= min && v < max)
	},
	"multipart_alternative_difference": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		d := p.madiffStats().diff
		min := perlNum(a[0])
		return btoi((min == 0 || d > min) && (a[1] == "undef" || d <= perlNum(a[1])))
	},
	"multipart_alternative_difference_count": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		st := p.madiffStats()
		if float64(st.html) <= perlNum(a[1]) || st.html == 0 {
			return 0 // (Perl dies dividing by 0)
		}
		return btoi(float64(st.text)/float64(st.html) > perlNum(a[0]))
	},
}

// first is PerMsgStatus::get in scalar context for a request such as
// "From:addr": its first value, "" if none.
func (p *pms) first(req string) string {
	if l := p.getList(req); len(l) > 0 {
		return strings.TrimSuffix(l[0], "\n")
	}
	return ""
}

// perlNumRe is the prefix of a string Perl reads as a number.
var perlNumRe = regexp.MustCompile(`^[ \t\n\r\f\v]*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?`)

// perlNum is a string's value as a Perl number: its numeric prefix, 0
// if none ("undef" too).
func perlNum(s string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimLeft(perlNumRe.FindString(s), " \t\n\r\f\v"), 64)
	return v
}

// mustPerlRegex compiles a Perl match operator the package needs.
func mustPerlRegex(src string) *Regex {
	re, err := CompileRegex(src)
	if err != nil {
		panic(err)
	}
	return re
}

// checkToInSubject is check_for_to_in_subject('address' or 'user'): the
// first To address, or its local part, in the Subject. Like the Perl,
// 'user' reads the Subject as it is (the trimmed copy the Perl makes goes
// unused).
func checkToInSubject(p *pms, r *Rule, a []string) int {
	if len(a) < 1 {
		return 0
	}
	to := p.first("To:addr")
	if to == "" {
		return 0
	}
	subject := p.get("Subject").s
	switch a[0] {
	case "address":
		return btoi(addrInSubject(subject, to))
	case "user":
		if i := strings.IndexByte(to, '@'); i >= 0 {
			to = to[:i]
		}
		return btoi(userInSubject(subject, to))
	}
	return 0
}

// The Perl patterns, with /i, which addrInSubject and userInSubject scan
// for by hand (tested against them, \Q...\E done by quoteMeta): a
// regexp compiled for each message would cost more than the rest of the
// eval.
const (
	addrInSubjectPerl = `\b\Q$full_to\E\b`
	userInSubjectPerl = `^(?:(?:re|fw):\s*(?:\w+\s+)?\Q$to\E$|(?-i:\Q$to\E)\s*[,:;!?-](?:$|\s)|\Q$to\E$|,\s*\Q$to\E[,:;!?-]$)`
)

// addrInSubject is /\b\Qaddr\E\b/i over octets.
func addrInSubject(s, addr string) bool {
	for i := 0; i+len(addr) <= len(s); i++ {
		if atWordBoundary(s, i) && foldAt(s, i, addr) && atWordBoundary(s, i+len(addr)) {
			return true
		}
	}
	return false
}

// userInSubject is userInSubjectPerl over octets, one alternative at a
// time. \s and \w are Perl's on octets, $ the end or a final newline.
func userInSubject(s, u string) bool {
	n := len(u)
	// (?:re|fw):\s*(?:\w+\s+)?U$: U after any part of the blanks, or
	// after one word and any part of the blanks after it
	if foldAt(s, 0, "re:") || foldAt(s, 0, "fw:") {
		i := 3
		for ; ; i++ {
			if foldAt(s, i, u) && atLineEnd(s, i+n) {
				return true
			}
			if i >= len(s) || !isSpaceByte(s[i]) {
				break
			}
		}
		j := i
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		for k := j; k < len(s) && isSpaceByte(s[k]); {
			k++
			if foldAt(s, k, u) && atLineEnd(s, k+n) {
				return true
			}
		}
	}
	// (?-i:U)\s*[,:;!?-](?:$|\s): the blanks all go, no mark is blank
	if strings.HasPrefix(s, u) {
		i := n
		for i < len(s) && isSpaceByte(s[i]) {
			i++
		}
		if i < len(s) && strings.IndexByte(",:;!?-", s[i]) >= 0 && (atLineEnd(s, i+1) || isSpaceByte(s[i+1])) {
			return true
		}
	}
	// U$
	if foldAt(s, 0, u) && atLineEnd(s, n) {
		return true
	}
	// ,\s*U[,:;!?-]$
	if strings.HasPrefix(s, ",") {
		for i := 1; ; i++ {
			if foldAt(s, i, u) && i+n < len(s) && strings.IndexByte(",:;!?-", s[i+n]) >= 0 && atLineEnd(s, i+n+1) {
				return true
			}
			if i >= len(s) || !isSpaceByte(s[i]) {
				break
			}
		}
	}
	return false
}

// foldAt reports whether lit occurs at s[i:], ASCII letters in either
// case (Perl's /i on octets).
func foldAt(s string, i int, lit string) bool {
	if i+len(lit) > len(s) {
		return false
	}
	for k := 0; k < len(lit); k++ {
		if a, b := s[i+k], lit[k]; a != b && !(isASCIILetter(a) && a|0x20 == b|0x20) {
			return false
		}
	}
	return true
}

// atLineEnd is Perl's $ without /m: the end, or before a final newline.
func atLineEnd(s string, i int) bool {
	return i == len(s) || i == len(s)-1 && s[i] == '\n'
}

// atWordBoundary is Perl's \b on octets.
func atWordBoundary(s string, i int) bool {
	return (i > 0 && isWordByte(s[i-1])) != (i < len(s) && isWordByte(s[i]))
}

// base64LineRe: a rendered line that is lingering base64.
var base64LineRe = regexp.MustCompile(`^(?:[A-Za-z0-9+/=]{60,76} ){2}`)

// uppercase is check_for_uppercase's percentage of upper-case letters
// among letters and digits in the body lines with an inner space: 0 for
// less than 200 bytes of such lines, or a charset whose text reads as
// capitals.
func (p *pms) uppercase() float64 {
	if p.upperDone {
		return p.upperPct
	}
	p.upperPct, p.upperDone = p.computeUppercase(), true
	return p.upperPct
}

func (p *pms) computeUppercase() float64 {
	if p.bodyCharsetLikelyFP() {
		return 0
	}
	n, lower, upper := 0, 0, 0
	for _, line := range p.m.body {
		if !hasInnerSpace(line) || base64LineRe.MatchString(line) {
			continue
		}
		// remove shift-JIS charset codes: s/\x1b\$B.*\x1b\(B//gs
		if i := strings.Index(line, "\x1b$B"); i >= 0 {
			if j := strings.LastIndex(line, "\x1b(B"); j > i {
				line = line[:i] + line[j+3:]
			}
		}
		n += len(line)
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				lower++
			case c >= 'A' && c <= 'Z':
				upper++
			}
		}
	}
	if n < 200 || upper+lower == 0 {
		return 0
	}
	return float64(upper) / float64(upper+lower) * 100
}

// hasInnerSpace is Perl's /\S\s+\S/ over octets.
func hasInnerSpace(s string) bool {
	word, gap := false, false
	for i := 0; i < len(s); i++ {
		if isSpaceByte(s[i]) {
			gap = word
		} else if gap {
			return true
		} else {
			word = true
		}
	}
	return false
}

var (
	// CHARSETS_LIKELY_TO_FP_AS_CAPS, anchored
	capsCharsetNameRe = mustPerlRegex(`/^[-_a-z0-9]*(?:koi|jp|jis|euc|gb|big5|isoir|cp1251|windows-1251|georgianps|pt154|tis)[-_a-z0-9]*$/i`)
	// get_charset_from_ct_line
	ctLineCharsetRes = []*Regex{
		mustPerlRegex(`/charset="([^"]+)"/i`),
		mustPerlRegex(`/charset='([^']+)'/i`),
		mustPerlRegex(`/charset=(\S+)/i`),
	}
	// Util::parse_content_type's charset
	ctCharsetRe = mustPerlRegex(`/\bcharset\s*=\s*["']?(.*?)["']?(?:;|$)/i`)
)

// bodyCharsetLikelyFP is MIMEEval's body_charset_is_likely_to_fp: the
// charset of the message's Content-Type, or of any MIME node, is one
// whose text reads as capitals.
func (p *pms) bodyCharsetLikelyFP() bool {
	var charsets []string
	if ct := p.get("Content-Type"); ct.ok {
		for _, re := range ctLineCharsetRes {
			if cs, ok := re.Submatch(ct.s, 1); ok {
				charsets = append(charsets, cs)
				break
			}
		}
	}
	// _check_attachments' mime_html_charsets: every node's charset with
	// a letter in it
	for _, n := range p.m.nodes {
		cs, _ := nodeCharset(n)
		if cs = lowerASCII(cs); strings.IndexFunc(cs, isASCIILetterRune) >= 0 {
			// (joined with spaces, then split(' '))
			charsets = append(charsets, strings.FieldsFunc(cs, func(r rune) bool { return r < 0x80 && isSpaceByte(byte(r)) })...)
		}
	}
	for _, cs := range charsets {
		if capsCharsetNameRe.Match(cs, "") {
			return true
		}
	}
	return false
}

func isASCIILetterRune(r rune) bool { return r < 0x80 && isASCIILetter(byte(r)) }

// nodeCharset is the charset Util::parse_content_type reads from a
// node's last Content-Type (a missing one is "text/plain;
// charset=us-ascii"), as written; false when it names none.
func nodeCharset(n *Part) (string, bool) {
	ct := lastValue(n.Header, "content-type")
	if ct == "" || ct == "0" {
		return "us-ascii", true
	}
	return ctCharsetRe.Submatch(ct, 1)
}

// verticalWords is tvd_vertical_words' value: the highest percentage of
// spaces to other bytes over the body lines longer than 5 bytes (100 when
// spaces are the more), -1 when there is no such line.
func (p *pms) verticalWords() int {
	v := -1
	for _, line := range p.m.body {
		n := len(line)
		if n <= 5 {
			continue
		}
		spaces := strings.Count(line, " ")
		other := n - spaces
		pct := 100
		if spaces <= other && other != 0 {
			pct = int(100 * float64(spaces) / float64(other))
		}
		v = max(v, pct)
	}
	return v
}

// madiffStats is BodyEval's _multipart_alternative_difference: diff, the
// highest percentage of HTML words a multipart/alternative's text parts
// lack; html and text, the distinct word counts of the last one with HTML
// words.
type madiffStats struct {
	diff       float64
	html, text int
}

var (
	maTypeRe   = mustPerlRegex(`m@^multipart/alternative\b@`)
	textTypeRe = mustPerlRegex(`m@^text\b@`)
)

func (p *pms) madiffStats() *madiffStats {
	if p.madiff == nil {
		p.madiff = multipartAltDiff(p.m)
	}
	return p.madiff
}

func multipartAltDiff(m *Message) *madiffStats {
	st := &madiffStats{}
	nodes := m.nodes
	if len(nodes) == 0 || calendarInvite(nodes) {
		return st
	}
	for i, ma := range nodes {
		if !maTypeRe.Match(ma.MediaType, "") {
			continue
		}
		html, text := map[string]int{}, map[string]int{}
		// the text parts under it, in walk order
		for _, t := range nodes[i+1:] {
			if t.depth <= ma.depth {
				break
			}
			if !textTypeRe.Match(t.MediaType, "") {
				continue
			}
			switch t.MediaType {
			case "text/html":
				addWords(html, madiffHTML(t))
				// no words but an image: mark it with "\n", which no
				// word holds
				if len(html) == 0 && t.html != nil {
					if _, ok := t.html.stats.open["img"]; ok {
						html["\n"] = 1
					}
				}
			case "text/plain":
				addWords(text, t.text())
			}
		}
		orig := len(html)
		if orig == 0 {
			continue
		}
		st.html, st.text = orig, len(text)
		for w, n := range text {
			if h, ok := html[w]; ok && h-n < 1 {
				delete(html, w)
			}
		}
		st.diff = max(st.diff, float64(len(html))/float64(orig)*100)
	}
	return st
}

// calendarInvite: the message is Exchange's meeting request, a
// multipart/alternative of text/html and text/calendar (content_summary
// is exactly those three).
func calendarInvite(nodes []*Part) bool {
	var top []*Part
	for _, n := range nodes[1:] {
		if n.depth == 1 {
			top = append(top, n)
		}
	}
	if nodes[0].MediaType != "multipart/alternative" || len(top) != 2 ||
		top[0].MediaType != "text/html" || top[1].MediaType != "text/calendar" {
		return false
	}
	// each child's summary is its own type and its subtree's: both must
	// be leaves
	return top[0].leaf && top[1].leaf
}

// madiffHTML is Node::rendered for a text/html part ("" for none).
func madiffHTML(t *Part) string {
	if t.html == nil {
		return ""
	}
	return t.html.String()
}

// addWords counts the words of s as split(/\s+/) on Perl characters
// yields them, those with a \w character.
func addWords(into map[string]int, s string) {
	for _, w := range strings.Fields(s) {
		if strings.IndexFunc(w, isPerlWordRune) >= 0 {
			into[w]++
		}
	}
}

// isPerlWordRune is Perl's \w on characters: alphabetic, decimal digit,
// mark, connector punctuation or join control.
func isPerlWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
		unicode.In(r, unicode.Nl, unicode.Pc, unicode.Other_Alphabetic) || r == 0x200c || r == 0x200d
}

// partCharset is the charset Node::rendered decodes a part from:
// us-ascii when it names none.
func partCharset(t *Part) string {
	if cs, ok := nodeCharset(t); ok {
		return cs
	}
	return "us-ascii"
}

var (
	asciiNameRe = mustPerlRegex(`/^(?:(?:US-)?ASCII|ANSI[_ ]?X3\.4-(?:1986|1968)|ISO646-US)\z/si`)
	extASCIIRe  = mustPerlRegex(`/^(?:ISO[ -]?8859(?:-\d{1,2})?|Windows-\d{4}|UTF-?8|(KOI8|EUC)-[A-Z]{1,2}|Big5|GBK|GB[ -]?18030(?:-20\d\d)?)\z/si`)
	w1252NameRe = mustPerlRegex(`/^(?:ISO-?8859-1|Windows-1252|CP1252)\z/i`)
	utf8NameRe  = mustPerlRegex(`/^UTF-?8\z/i`)
	skipNameRe  = mustPerlRegex(`/^(?:(?:US-)?ASCII\z|UTF[ -]?16)/i`)
)

// normalizeCharset is Node::_normalize returning characters (SpamAssassin's
// default normalize_charset 1), as UTF-8: all-ASCII text under an ASCII
// name as it is, valid UTF-8 as it is, else decoded from the declared
// charset, else as Windows-1252. Not done: the UTF-16 byte-order
// guess; a decoder that errs is one whose output holds U+FFFD.
func normalizeCharset(cs string, b []byte) string {
	high := false
	for _, c := range b {
		if c >= 0x80 {
			high = true
			break
		}
	}
	if !high && (asciiNameRe.Match(cs, "") || extASCIIRe.Match(cs, "")) {
		return string(b)
	}
	if high && utf8.Valid(b) {
		return string(b)
	}
	if !skipNameRe.Match(cs, "") && !(high && utf8NameRe.Match(cs, "")) {
		name := cs
		if w1252NameRe.Match(cs, "") {
			name = "windows-1252"
		}
		if enc, err := htmlindex.Get(name); err == nil {
			if out, err := enc.NewDecoder().Bytes(b); err == nil && !strings.ContainsRune(string(out), utf8.RuneError) {
				return string(out)
			}
		}
	}
	if !high {
		return string(b)
	}
	out, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return string(out)
}
