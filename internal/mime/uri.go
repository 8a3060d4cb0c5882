package mime

import (
	"strings"
)

// # URIs
//
// Message.URIs collects the links of HTML parts and the URIs written in the
// text of every text part (plain and rendered HTML): "scheme://..." for
// http, https and ftp, "www." host names, "mailto:", and bare e-mail
// addresses (as "mailto:" URIs, like SpamAssassin's URI list). Simple
// obfuscations are undone: "hxxp://", "h**p://", backslashes for slashes,
// "[.]" / "(.)" / "[dot]" for dots. Relative links, fragments, cid: and
// javascript: links are not URIs of interest and are dropped. The result is
// de-duplicated, in order of first appearance.

// URIs returns every URI in the text and HTML parts (see above).
func (m *Message) URIs() []string {
	m.urisOnce.Do(func() {
		seen := make(map[string]bool)
		add := func(u string) {
			if u = normalizeURI(u); u != "" && !seen[u] {
				seen[u] = true
				m.uris = append(m.uris, u)
			}
		}
		for _, p := range m.textParts {
			t := p.Text()
			if p.MediaType == "text/html" {
				var links []string
				t, links = p.html()
				for _, l := range links {
					add(l)
				}
			}
			findTextURIs(t, add)
			findEmails(t, add)
		}
	})
	return m.uris
}

// uriPrefixes start a URI in text, matched case-insensitively.
var uriPrefixes = []string{"http://", "https://", "hxxp://", "hxxps://", "h**p://", "h**ps://",
	"http:\\\\", "https:\\\\", "ftp://", "www.", "mailto:"}

// findTextURIs calls add for each URI written in s. It looks at each
// position once, so it is linear in len(s).
func findTextURIs(s string, add func(string)) {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c != 'h' && c != 'w' && c != 'f' && c != 'm' {
			continue
		}
		if i > 0 && isWordByte(s[i-1]) {
			continue
		}
		matched := false
		for _, pre := range uriPrefixes {
			if len(s)-i >= len(pre) && strings.EqualFold(s[i:i+len(pre)], pre) {
				matched = true
				break
			}
		}
		if !matched {
			continue
		}
		end := i
		for end < len(s) && isURIByte(s[end]) {
			end++
		}
		u := strings.TrimRight(s[i:end], ".,;:!?'\")>]}")
		if strings.Count(u, "(") < strings.Count(u, ")") { // "(see http://x/y)"
			u = strings.TrimRight(u, ")")
		}
		add(u)
		i = end
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '@'
}

// isURIByte reports whether c may be part of a URI in running text.
func isURIByte(c byte) bool {
	if c <= ' ' || c == 0x7f {
		return false
	}
	switch c {
	case '<', '>', '"', '`', '{', '}', '|', '^':
		return false
	}
	return true
}

var deobfuscate = strings.NewReplacer("[.]", ".", "(.)", ".", "[dot]", ".", "(dot)", ".", "{.}", ".")

// normalizeURI returns u as an absolute URI of interest, "" if it is not one.
func normalizeURI(u string) string {
	u = strings.TrimSpace(u)
	if len(u) < 5 || len(u) > 8192 {
		return ""
	}
	lower := strings.ToLower(u[:min(len(u), 10)])
	switch {
	case strings.HasPrefix(lower, "hxxp"), strings.HasPrefix(lower, "h**p"):
		u = "http" + u[4:]
	case strings.HasPrefix(lower, "www."):
		u = "http://" + u
	case strings.HasPrefix(lower, "//"):
		u = "http:" + u
	}
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok {
		return ""
	}
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "http", "https", "ftp":
		rest = strings.TrimLeft(rest, "/\\")
		if rest == "" {
			return ""
		}
		host, tail := rest, ""
		if i := strings.IndexAny(rest, "/\\?#"); i >= 0 {
			host, tail = rest[:i], rest[i:]
		}
		clean := host
		if strings.ContainsAny(host, "[({") {
			clean = deobfuscate.Replace(host)
		}
		if len(u) == len(scheme)+3+len(rest) && u[:len(scheme)] == scheme && u[len(scheme):len(scheme)+3] == "://" && clean == host {
			return u // already normal: no allocation
		}
		return scheme + "://" + clean + tail
	case "mailto":
		if rest == "" {
			return ""
		}
		return "mailto:" + rest
	}
	return ""
}

// findEmails calls add with "mailto:addr" for each e-mail address written
// in s. Each byte is looked at a bounded number of times: the scans left
// and right of an "@" stop at the next "@".
func findEmails(s string, add func(string)) {
	from := 0 // no address starts before this
	for {
		i := strings.IndexByte(s[from:], '@')
		if i < 0 {
			return
		}
		at := from + i
		l := at
		for l > from && isLocalByte(s[l-1]) {
			l--
		}
		r := at + 1
		for r < len(s) && isDomainByte(s[r]) {
			r++
		}
		domain := strings.TrimRight(s[at+1:r], ".-")
		if l < at && validDomain(domain) {
			add("mailto:" + strings.TrimLeft(s[l:at], ".") + "@" + domain)
		}
		from = at + 1
	}
}

func isLocalByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._%+-=", c) >= 0
}

func isDomainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// validDomain wants a dot and a top-level label of two or more letters.
func validDomain(d string) bool {
	dot := strings.LastIndexByte(d, '.')
	if dot <= 0 || len(d)-dot-1 < 2 {
		return false
	}
	for _, c := range []byte(d[dot+1:]) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
