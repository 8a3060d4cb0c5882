package bayes

import (
	"regexp"
	"strings"
)

// # Tokens
//
// The tokenizer follows Mail::SpamAssassin::Plugin::Bayes (4.0) so that a
// database trained by mailwall behaves like one trained by sa-learn:
//
//   - A line keeps ASCII letters, digits and , @ * ! _ ' " $ . - and space,
//     whole UTF-8 sequences and single bytes 0xA1-0xFF; every other byte
//     becomes a space. "..." and "--" between word characters split words.
//   - In the body and URIs a Title-case word that starts a sentence is
//     lower-cased (the "IGNORE_TITLE_CASE" rule).
//   - Words are trimmed of leading and trailing - ' " . , and dropped when
//     shorter than 3 bytes or when they are stop words.
//   - Body words with an @ add U*user and D*domain tokens (and D* for each
//     parent domain); words that look like host names add UD: tokens.
//   - Words longer than MaxTokenLength (15) bytes without a '*' become
//     u8:<char> tokens for each 3- and 4-byte UTF-8 character they hold, or
//     else (headers and body, not URIs) "sk:" plus their first 7 characters.
//   - Body and URI words with punctuation or capitals also add their
//     stripped and lower-cased forms ("Foo!" adds "Foo", "foo!", "foo").
//   - Header words are prefixed H<name>: with the name compressed
//     (H*F: for From, H*r: for Received, ...); see headers.go.
//
// A token is stored under the low 40 bits of its SHA-1, as SpamAssassin
// does, so the database never holds message text.

// region says which part of the message a line comes from; the tokenizer
// applies different rules to each.
type region int

const (
	regionHeader region = iota
	regionBody
	regionURI
)

// Limits on tokens per source, as SpamAssassin's tokenize() applies them.
const (
	maxBodyTokens   = 50000
	maxURITokens    = 10000
	maxHeaderTokens = 10000
)

var (
	reEllipsis = regexp.MustCompile(`(\w)(\.{3,6})(\w)`)
	reDashes   = regexp.MustCompile(`(\w)(-{2,6})(\w)`)
)

// keepByte reports whether an ASCII byte survives the first pass.
func keepByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte(`,@*!_'"$. -`, c) >= 0
}

func isCont(s string, i int) bool { return i < len(s) && s[i] >= 0x80 && s[i] <= 0xBF }

// utf8Len returns the length of a well-formed 2-, 3- or 4-byte UTF-8
// sequence at s[i] by SpamAssassin's loose byte classes, or 0.
func utf8Len(s string, i int) int {
	c := s[i]
	switch {
	case c >= 0xC0 && c <= 0xDF && isCont(s, i+1):
		return 2
	case c >= 0xE0 && c <= 0xEF && isCont(s, i+1) && isCont(s, i+2):
		return 3
	case c >= 0xF0 && c <= 0xF4 && isCont(s, i+1) && isCont(s, i+2) && isCont(s, i+3):
		return 4
	}
	return 0
}

// cleanLine is the first pass: unwanted bytes become spaces.
func cleanLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if keepByte(c) {
				b.WriteByte(c)
			} else {
				b.WriteByte(' ')
			}
			i++
			continue
		}
		if n := utf8Len(s, i); n > 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		if c >= 0xA1 {
			b.WriteByte(c)
		} else {
			b.WriteByte(' ')
		}
		i++
	}
	return b.String()
}

// lowerTitleCase lower-cases a capital that starts the line or follows a
// full stop, when the rest of the run has no capital. It is SpamAssassin's
// IGNORE_TITLE_CASE substitution
//
//	s/(?:^|\.\s+)([A-Z])([^A-Z]+)(?:\s|$)/ ' '.lc($1).$2.' ' /ge
//
// (the ". " it matched becomes one space), written out by hand because it
// runs on every paragraph; TestLowerTitleCaseMatchesRegexp holds it to the
// regex.
func lowerTitleCase(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		var u int // position of the capital
		switch {
		case i == 0 && isUpper(s[0]):
			u = 0
		case s[i] == '.':
			j := i + 1
			for j < len(s) && isRegexpSpace(s[j]) {
				j++
			}
			if j == i+1 || j >= len(s) || !isUpper(s[j]) {
				continue
			}
			u = j
		default:
			continue
		}
		k, stop, ok := titleRunEnd(s, u)
		if !ok {
			continue
		}
		if last == 0 {
			b.Grow(len(s) + 8)
		}
		b.WriteString(s[last:i])
		b.WriteByte(' ')
		b.WriteByte(s[u] + 'a' - 'A')
		b.WriteString(s[u+1 : k])
		b.WriteByte(' ')
		last = stop
		i = stop - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// titleRunEnd matches ([^A-Z]+)(?:\s|$) after the capital at u, greedily
// and backtracking as a regex engine would: k is where [^A-Z]+ ends, stop
// where the match ends.
func titleRunEnd(s string, u int) (k, stop int, ok bool) {
	e := u + 1
	for e < len(s) && !isUpper(s[e]) {
		e++
	}
	if e == u+1 {
		return 0, 0, false // [^A-Z]+ needs one byte
	}
	if e == len(s) {
		return e, e, true // $ after the whole run
	}
	for k := e - 1; k >= u+2; k-- {
		if isRegexpSpace(s[k]) {
			return k, k + 1, true
		}
	}
	return 0, 0, false
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// isRegexpSpace is Go's \s (Perl's without \v, which cleanLine removes).
func isRegexpSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func trimPunct(s string) string {
	return strings.Trim(s, `-'".,`)
}

// skipToken shortens a long token to "sk:" and its first 7 characters (a
// character is a UTF-8 sequence or a single byte) when at least 2 bytes
// follow them; otherwise the token stays as it is.
func skipToken(tok string) string {
	i := 0
	for range 7 {
		if i >= len(tok) {
			return tok
		}
		c := tok[i]
		if c < 0x80 || c >= 0xF5 {
			i++
		} else if n := utf8Len(tok, i); n > 0 {
			i += n
		} else {
			i++
		}
	}
	if len(tok)-i < 2 {
		return tok
	}
	return "sk:" + tok[:i]
}

// utf8Chars returns the 3- and 4-byte UTF-8 sequences in tok, scanning left
// to right without overlap.
func utf8Chars(tok string) []string {
	var out []string
	for i := 0; i < len(tok); {
		c := tok[i]
		if c >= 0xE0 && c <= 0xEF && isCont(tok, i+1) && isCont(tok, i+2) {
			out = append(out, tok[i:i+3])
			i += 3
			continue
		}
		if c >= 0xF0 && c <= 0xF4 && isCont(tok, i+1) && isCont(tok, i+2) && isCont(tok, i+3) {
			out = append(out, tok[i:i+4])
			i += 4
			continue
		}
		i++
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// stripNonWord removes every byte that is not [A-Za-z0-9_:*].
func stripNonWord(s string) (string, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isWordByte(c) || c == ':' || c == '*' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)), s[:i]...)
		}
	}
	if b == nil {
		return s, false
	}
	return string(b), true
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// asciiLower lower-cases ASCII letters only, leaving 8-bit bytes alone.
func asciiLower(s string) string {
	if !hasUpper(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// hasTwoCont reports whether s holds two UTF-8 continuation bytes in a row.
func hasTwoCont(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if isCont(s, i) && isCont(s, i+1) {
			return true
		}
	}
	return false
}
