package sarules

import (
	"regexp"
	"strings"
)

// render builds the body, rawbody and uri views (Message.pm
// get_body_text_array_common, get_decoded_body_text_array, get_uri_list).
func (m *Message) render() {
	var text strings.Builder
	subject := m.HeaderGet("subject")
	if len(headerValues(m.Header, "subject", false)) > 0 && subject != "" {
		subject += "\n"
	} else {
		subject = "\n"
	}
	for _, p := range m.Parts {
		if text.Len() > 0 {
			text.WriteByte('\n')
		}
		rnd, ok := p.rendered()
		if !ok {
			continue
		}
		text.WriteString(truncatePart(rnd, false))
		if p.html != nil && m.html == nil {
			m.html = p.html
		}
	}
	m.body = splitShortLines(subject + whitespaceParagraphs(text.String()))

	for _, p := range m.Parts {
		if !strings.HasPrefix(p.MediaType, "text/") && !strings.HasPrefix(p.MediaType, "message/") {
			continue
		}
		if p.MediaType == "text/calendar" {
			continue
		}
		m.rawbody = append(m.rawbody, splitShortParagraphs(truncatePart(string(p.Decoded), true))...)
	}
	m.uris = m.extractURIs()
}

// rendered is Node::rendered: text/plain as decoded, text/html rendered,
// both recoded to UTF-8 from their declared charset first
// (normalizeCharset: SpamAssassin's normalize_charset, on by default).
// rawbody keeps the decoded octets.
func (p *Part) rendered() (string, bool) {
	if p.MediaType != "text/plain" && p.MediaType != "text/html" {
		return "", false
	}
	p.utf8 = normalizeCharset(partCharset(p), p.Decoded)
	if p.MediaType == "text/plain" {
		return p.utf8, true
	}
	if len(p.Decoded) == 0 {
		return "", true
	}
	p.html = renderHTML([]byte(p.utf8))
	return p.html.String(), true
}

// text is the part's decoded text recoded to UTF-8 from its charset, as
// SpamAssassin's rules and evals read it (kept by render for the
// text/plain and text/html parts, decoded here for others).
func (p *Part) text() string {
	if p.MediaType == "text/plain" || p.MediaType == "text/html" {
		return p.utf8
	}
	return normalizeCharset(partCharset(p), p.Decoded)
}

// truncatePart cuts s near the scan size (MaxPartBytes, MaxRawPartBytes
// for raw) at a newline (or '>' for raw, or a space) within 1 KiB after
// the limit, as SpamAssassin does.
func truncatePart(s string, raw bool) string {
	limit := MaxPartBytes
	seps := "\n "
	if raw {
		limit, seps = MaxRawPartBytes, "\n> "
	}
	if len(s) <= limit {
		return s
	}
	for _, sep := range seps {
		if i := strings.IndexRune(s[limit:], sep); i >= 0 && i <= 1024 {
			return s[:limit+i+1]
		}
	}
	return s[:limit]
}

// whitespaceParagraphs: double newlines become paragraph breaks, every
// other run of whitespace one space. It is, in one pass, SpamAssassin's
// s/\n+\s*\n+/\x00/g, s/\s+/ /g, tr/\x00/\n/ with Go's \s
// ([\t\n\f\r ]): a whitespace run holding two or more newlines becomes
// "\n" (with a space for whitespace before its first and after its last
// newline), any other run one space, and a NUL a newline.
func whitespaceParagraphs(t string) string {
	var b strings.Builder
	b.Grow(len(t))
	start := 0 // of the pending non-space bytes
	for i := 0; i < len(t); {
		c := t[i]
		if c == 0 {
			b.WriteString(t[start:i])
			b.WriteByte('\n')
			i++
			start = i
			continue
		}
		if !isGoSpace(c) {
			i++
			continue
		}
		b.WriteString(t[start:i])
		first, last, j := -1, -1, i
		for ; j < len(t) && isGoSpace(t[j]); j++ {
			if t[j] == '\n' {
				if first < 0 {
					first = j
				}
				last = j
			}
		}
		if last > first {
			if first > i {
				b.WriteByte(' ')
			}
			b.WriteByte('\n')
			if j > last+1 {
				b.WriteByte(' ')
			}
		} else {
			b.WriteByte(' ')
		}
		i, start = j, j
	}
	b.WriteString(t[start:])
	return b.String()
}

// isGoSpace is Go regexp's \s.
func isGoSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// splitShortLines splits at newlines (keeping them), then cuts lines
// longer than maxBodyLine at a space.
func splitShortLines(t string) []string {
	var out []string
	for _, line := range strings.SplitAfter(t, "\n") {
		if line == "" {
			continue
		}
		for len(line) > maxBodyLine {
			n := strings.LastIndexByte(line[:maxBodyLine], ' ') + 1
			if n <= 0 {
				n = maxBodyLine
			}
			out = append(out, line[:n])
			line = line[n:]
		}
		out = append(out, line)
	}
	return out
}

// splitShortParagraphs is split_into_array_of_short_paragraphs.
func splitShortParagraphs(t string) []string {
	if len(t) <= maxBodyLine {
		return []string{t}
	}
	var out []string
	ofs := 0
	for len(t)-ofs > 2*maxBodyLine {
		j := -1
		for _, sep := range []byte{'\n', '>', ' '} {
			k := strings.IndexByte(t[ofs+maxBodyLine:], sep)
			if k >= 0 {
				k += ofs + maxBodyLine
				if k-ofs+1 <= 2*maxBodyLine {
					j = k
					break
				}
			}
		}
		if j < 0 {
			j = ofs + maxBodyLine
		}
		out = append(out, t[ofs:j+1])
		ofs = j + 1
	}
	if ofs < len(t) {
		out = append(out, t[ofs:])
	}
	return out
}

// emailRe finds addresses in text (FreeMail's body addresses).
var emailRe = regexp.MustCompile(`(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b`)

// extractURIs lists the URIs of HTML links, with a scheme added to www.
// and ftp. hosts. The URIs of the text need the rules' top-level domains
// (textURIList, at Check).
func (m *Message) extractURIs() []string {
	seen := map[string]bool{}
	var out []string
	var add func(u string)
	add = func(u string) {
		u = strings.TrimRight(u, ".,;:!?)>'\"")
		if u == "" || seen[u] {
			return
		}
		seen[u] = true
		out = append(out, u)
		low := strings.ToLower(u)
		switch {
		case strings.HasPrefix(low, "www"):
			add("http://" + u)
		case strings.HasPrefix(low, "ftp."):
			add("ftp://" + u)
		}
	}
	for _, p := range m.Parts {
		if p.html != nil {
			for _, u := range p.html.uris {
				add(u)
			}
		}
	}
	return out
}

// hasFoldPrefix reports whether s starts with the lower-case ASCII
// letters lit in any case.
func hasFoldPrefix(s, lit string) bool {
	if len(s) < len(lit) {
		return false
	}
	for i := 0; i < len(lit); i++ {
		if s[i]|0x20 != lit[i] {
			return false
		}
	}
	return true
}
