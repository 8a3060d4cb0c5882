package sarules

import (
	"strings"
)

// # URIs in text
//
// textURIList is PerMsgStatus::_process_text_uri_list (4.0.1): the URIs a
// mail reader would see in the rendered body text, found with
// SpamAssassin's "tbird" expression, here walked by hand:
//
//	(?:\b|(?<=\x1b\(.)|(?<=[STARTDELIM]))
//	(?: (KNOWNSCHEME)(?=[ENDDELIM]|\z)
//	  | (MAIL)(?=[ENDDELIM_EMAIL]|\z)
//	  | (?:^|(?<=[SCHEMELESS_START]))(SCHEMELESS)(?=[ENDDELIM]|\z) )
//
// KNOWNSCHEME is http(s)://, ftp:// or a www./ftp. host; MAIL a mailto:
// or user@host; SCHEMELESS a bare host name ending in a valid top-level
// domain (util_rb_tld), with an optional port and path, so a spammer's
// "example.top/offer" is a URI (for uri rules and the URI blocklists) as
// it is for SpamAssassin. Each match is cleaned, given its scheme and
// validated as SpamAssassin does before it is listed.

const (
	tbirdStart  = "><\"'`,{[(|"                    // and white space, \x1b, \xa0
	tbirdEnd    = "><\"`}]{[|"                     // and white space, \x1b, \xa0
	scStart     = "!\"#$&'()*+,/:;<=>?@[\\]^`{|}~" // and white space, \x1b, \xa0
	uriMaxRun   = 2048
	mailMaxPart = 251
)

// perlSpace is Perl's \s on octets.
func perlSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isTbirdStart(c byte) bool {
	return perlSpace(c) || c == 0x1b || c == 0xa0 || strings.IndexByte(tbirdStart, c) >= 0
}

func isTbirdEnd(c byte) bool {
	return perlSpace(c) || c == 0x1b || c == 0xa0 || strings.IndexByte(tbirdEnd, c) >= 0
}

// isTbirdEndEmail: the end delimiters of an address also hold , ( ' and
// 8-bit bytes.
func isTbirdEndEmail(c byte) bool {
	return isTbirdEnd(c) || c == ',' || c == '(' || c == '\'' || c >= 0x80
}

func isSchemelessStart(c byte) bool {
	return perlSpace(c) || c == 0x1b || c == 0xa0 || strings.IndexByte(scStart, c) >= 0
}

func isPerlWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

func isHostByte(c byte) bool {
	return c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

func isLabelByte(c byte) bool {
	return c == '-' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

func isAlnum(c byte) bool { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' }

// runOf returns the end of the run of bytes from i for which in holds,
// at most max long.
func runOf(s string, i, max int, in func(byte) bool) int {
	j := i
	for j < len(s) && j-i < max && in(s[j]) {
		j++
	}
	return j
}

// endsAt reports whether position i of s is followed by an end
// delimiter (or the end of s).
func endsAt(s string, i int, end func(byte) bool) bool { return i == len(s) || end(s[i]) }

// tbirdMatch is one match: s[start:end], its kind, and for a schemeless
// one its host.
type tbirdMatch struct {
	start, end int
	kind       byte // 's' scheme, 'm' mail, 'h' schemeless
	host       string
}

// textURIList lists the URIs of the body texts, in order, each once (two
// raw forms may give one URI: SpamAssassin's list is a hash).
func textURIList(texts []string, tlds map[string]bool) []string {
	seen, listed := map[string]bool{}, map[string]bool{}
	var out []string
	for _, s := range texts {
		run := -1 // the end of the address run holding i (mailAt), -1: unknown
		for i := 0; i < len(s); {
			m, ok := tbirdAt(s, i, tlds, &run)
			if !ok {
				i++
				continue
			}
			i = m.end
			if u, ok := cookTextURI(s[m.start:m.end], m, tlds, seen); ok && !listed[u] {
				listed[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

// tbirdAt matches the tbird expression at i.
func tbirdAt(s string, i int, tlds map[string]bool, run *int) (tbirdMatch, bool) {
	prev := byte(0)
	if i > 0 {
		prev = s[i-1]
	}
	word := i > 0 && isPerlWord(prev)
	boundary := word != (isPerlWord(s[i]))
	if !boundary && !(i > 0 && isTbirdStart(prev)) && !(i >= 3 && s[i-3] == 0x1b && s[i-2] == '(') {
		return tbirdMatch{}, false
	}
	if e := knownScheme(s, i); e > 0 {
		return tbirdMatch{start: i, end: e, kind: 's'}, true
	}
	if e := mailAt(s, i, run); e > 0 {
		return tbirdMatch{start: i, end: e, kind: 'm'}, true
	}
	if i == 0 || isSchemelessStart(prev) {
		if e, host := schemelessAt(s, i, tlds); e > 0 {
			return tbirdMatch{start: i, end: e, kind: 'h', host: host}, true
		}
	}
	return tbirdMatch{}, false
}

// knownScheme returns the end of (?:(?:https?|ftp)://|(?:www\d{0,2}|ftp)\.)
// [^ENDDELIM]{1,2048} followed by an end delimiter, at i; 0 if none.
func knownScheme(s string, i int) int {
	p := -1
	switch {
	case hasFoldPrefix(s[i:], "http://"):
		p = i + 7
	case hasFoldPrefix(s[i:], "https://"):
		p = i + 8
	case hasFoldPrefix(s[i:], "ftp://"):
		p = i + 6
	case hasFoldPrefix(s[i:], "www"):
		j := i + 3
		for d := 0; d < 2 && j < len(s) && s[j] >= '0' && s[j] <= '9'; d++ {
			j++
		}
		if j < len(s) && s[j] == '.' {
			p = j + 1
		}
	}
	if p < 0 && hasFoldPrefix(s[i:], "ftp.") {
		p = i + 4
	}
	if p < 0 {
		return 0
	}
	e := runOf(s, p, uriMaxRun, func(c byte) bool { return !isTbirdEnd(c) })
	if e == p || !endsAt(s, e, isTbirdEnd) {
		return 0
	}
	return e
}

// mailAt returns the end of mailto:[^ENDDELIM_EMAIL]{1,2048} or
// [^ENDDELIM_EMAIL@]{1,251}@[^ENDDELIM_EMAIL]{1,251}, followed by an
// address end delimiter, at i; 0 if none. *run caches where the run of
// local-part bytes holding i ends, so that a text of many start
// positions in one run ("a-b-c-...") is read once, not once a position.
func mailAt(s string, i int, run *int) int {
	notEnd := func(c byte) bool { return !isTbirdEndEmail(c) }
	if hasFoldPrefix(s[i:], "mailto:") {
		p := i + 7
		if e := runOf(s, p, uriMaxRun, notEnd); e > p && endsAt(s, e, isTbirdEndEmail) {
			return e
		}
	}
	if *run < i {
		*run = runOf(s, i, len(s), func(c byte) bool { return c != '@' && !isTbirdEndEmail(c) })
	}
	at := *run
	if at == i || at-i > mailMaxPart || at == len(s) || s[at] != '@' {
		return 0
	}
	e := runOf(s, at+1, mailMaxPart, notEnd)
	if e == at+1 || !endsAt(s, e, isTbirdEndEmail) {
		return 0
	}
	return e
}

// schemelessAt returns the end of ([a-z\d][a-z\d._-]{0,251}\.TLD)\.?
// (?::\d{1,5})?(?:/[^ENDDELIM]{1,2048})? followed by an end delimiter,
// at i, and the host; 0 if none. TLD is a valid top-level domain that
// is a whole label and the last one.
func schemelessAt(s string, i int, tlds map[string]bool) (int, string) {
	if !isAlnum(s[i]) {
		return 0, ""
	}
	run := runOf(s, i+1, 251, isHostByte)
	for q := run - 1; q > i; q-- { // the dot before the TLD, rightmost first
		if s[q] != '.' {
			continue
		}
		t := runOf(s, q+1, len(s), isLabelByte)
		if t == q+1 || !tlds[strings.ToLower(s[q+1:t])] {
			continue
		}
		if t+1 < len(s) && s[t] == '.' && isAlnum(s[t+1]) {
			continue
		}
		if e := uriTail(s, t); e > 0 {
			return e, s[i:t]
		}
	}
	return 0, ""
}

// uriTail matches \.?(?::\d{1,5})?(?:/[^ENDDELIM]{1,2048})? then an end
// delimiter after a schemeless host ending at h, trying the options in
// Perl's order; it returns the end, 0 if none fits.
func uriTail(s string, h int) int {
	dots := []int{h}
	if h < len(s) && s[h] == '.' {
		dots = []int{h + 1, h}
	}
	for _, d := range dots {
		var ports []int
		if d < len(s) && s[d] == ':' {
			for e := runOf(s, d+1, 5, func(c byte) bool { return c >= '0' && c <= '9' }); e > d+1; e-- {
				ports = append(ports, e)
			}
		}
		for _, p := range append(ports, d) {
			if p < len(s) && s[p] == '/' {
				if e := runOf(s, p+1, uriMaxRun, func(c byte) bool { return !isTbirdEnd(c) }); e > p+1 && endsAt(s, e, isTbirdEnd) {
					return e
				}
			}
			if endsAt(s, p, isTbirdEnd) {
				return p
			}
		}
	}
	return 0
}

// cookTextURI cleans and validates one match as _process_text_uri_list
// does; ok false when it is skipped.
func cookTextURI(raw string, m tbirdMatch, tlds map[string]bool, seen map[string]bool) (string, bool) {
	// a ")" with no "(" before it ends the URI (Thunderbird)
	if j := strings.IndexByte(raw, ')'); j >= 0 && strings.IndexByte(raw[:j], '(') < 0 {
		raw = raw[:j]
	}
	raw = strings.TrimRight(raw, "-~!@#^&*()_+=:;'?,.")
	if seen[raw] {
		return "", false
	}
	seen[raw] = true
	if m.kind == 'm' && strings.IndexByte(raw, '@') < 0 {
		return "", false
	}
	if m.kind == 'h' && !fqdnValid(m.host) {
		return "", false
	}
	low := strings.ToLower(raw)
	if strings.HasPrefix(low, "cid:") || strings.HasPrefix(low, "mid:") || emptyURI(raw) {
		return "", false
	}
	uri := raw
	if !(strings.HasPrefix(low, "http:") || strings.HasPrefix(low, "https:") || strings.HasPrefix(low, "ftp:") || strings.HasPrefix(low, "mailto:")) {
		switch at := strings.IndexByte(uri, '@'); {
		case strings.HasPrefix(low, "ftp."):
			uri = "ftp://" + uri
		case wwwPrefix(low):
			uri = "http://" + uri
		case slashBeforeAt(uri):
			uri = "http://" + uri
		case at >= 0:
			if !strings.Contains(uri[at+1:], ".") || !dotAfterAt(uri) || strings.Contains(uri, "&nbsp;") {
				return "", false
			}
			uri = "mailto:" + stripMailPrefix(uri)
		default:
			if !strings.Contains(uri, ".") {
				return "", false
			}
			uri = "http://" + uri
		}
	}
	if len(uri) >= 7 && strings.EqualFold(uri[:7], "mailto:") {
		if hasPercentEscape(uri) {
			uri = uriEncode(uri)
		}
		at := strings.IndexByte(uri, '@')
		if at < 0 {
			return "", false
		}
		host := uri[at+1:]
		if k := strings.IndexAny(host, "?&>"); k >= 0 {
			host = host[:k]
		}
		for strings.HasSuffix(host, "%20") {
			host = strings.TrimSuffix(host, "%20")
		}
		if !domainValid(host, tlds) {
			return "", false
		}
	}
	return uri, true
}

// emptyURI: /^\w+:\/{0,2}$/
func emptyURI(s string) bool {
	i := 0
	for i < len(s) && isPerlWord(s[i]) {
		i++
	}
	if i == 0 || i == len(s) || s[i] != ':' {
		return false
	}
	rest := s[i+1:]
	return rest == "" || rest == "/" || rest == "//"
}

// wwwPrefix: /^www\d{0,2}\./ on lower-case text.
func wwwPrefix(low string) bool {
	if !strings.HasPrefix(low, "www") {
		return false
	}
	j := 3
	for d := 0; d < 2 && j < len(low) && low[j] >= '0' && low[j] <= '9'; d++ {
		j++
	}
	return j < len(low) && low[j] == '.'
}

// slashBeforeAt: /\/.+\@/ (a "/", at least one byte, then an "@").
func slashBeforeAt(s string) bool {
	i := strings.IndexByte(s, '/')
	return i >= 0 && strings.LastIndexByte(s, '@') > i+1
}

// dotAfterAt: /\@.+?\./ (a "." at least one byte after an "@").
func dotAfterAt(s string) bool {
	at := strings.IndexByte(s, '@')
	return at >= 0 && at+2 <= len(s) && strings.IndexByte(s[at+2:], '.') >= 0
}

// stripMailPrefix: s/^(?:skype|e?-?mail)?:+//i
func stripMailPrefix(s string) string {
	low := strings.ToLower(s)
	for _, p := range []string{"skype", "e-mail", "email", "-mail", "mail", ""} {
		if strings.HasPrefix(low, p) && len(low) > len(p) && low[len(p)] == ':' {
			j := len(p)
			for j < len(s) && s[j] == ':' {
				j++
			}
			return s[j:]
		}
	}
	return s
}

func hasPercentEscape(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			return true
		}
	}
	return false
}

// fqdnValid is Util::is_fqdn_valid on an ASCII host.
func fqdnValid(host string) bool {
	host = strings.TrimRight(strings.ToLower(host), ".")
	if len(host) > 253 {
		return false
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return false
	}
	for k, l := range labels {
		if len(l) < 1 || len(l) > 63 {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			ok := c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' && i > 0 && i < len(l)-1
			if !ok {
				return false
			}
		}
		if len(labels)-k <= 2 && strings.IndexByte(l, '_') >= 0 {
			return false // the first two levels hold no "_"
		}
	}
	return true
}

// domainValid is RegistryBoundaries::is_domain_valid: no white space, a
// dot, and a last label that is a valid top-level domain.
func domainValid(dom string, tlds map[string]bool) bool {
	dom = idnToASCII(dom)
	if strings.ContainsAny(dom, " \t\n\r\f\v") {
		return false
	}
	i := strings.LastIndexByte(dom, '.')
	return i >= 0 && i+1 < len(dom) && tlds[strings.ToLower(dom[i+1:])]
}
