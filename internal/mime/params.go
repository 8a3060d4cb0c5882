package mime

import (
	"sort"
	"strconv"
	"strings"
)

// # Parameters (RFC 2045 5.1, RFC 2231)
//
//	Content-Type: text/plain; charset="utf-8"; name*0*=utf-8''%E2%82%AC; name*1=.txt
//
// A parameter is attribute=value, the value a token or a quoted-string.
// RFC 2231 splits long values into sections "name*0", "name*1", ... and
// marks percent-encoded sections with a trailing "*"; the first encoded
// section starts with charset'language'. The parser is tolerant: spaces
// around "=", unquoted values with spaces (up to the next ";"), a missing
// closing quote, and comments it does not strip.

// dupInfo reports repeated parameters.
type dupInfo struct{ any, boundary bool }

// section is one RFC 2231 section of a parameter.
type section struct {
	n       int
	value   string
	encoded bool
}

// parseMediaHeader splits a Content-Type or Content-Disposition value into
// its lower-case first token and its parameters. Of a repeated parameter the
// first wins, or the last when lastWins is set.
func parseMediaHeader(s string, lastWins bool) (string, map[string]string, dupInfo) {
	var dup dupInfo
	v, rest, _ := strings.Cut(s, ";")
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, " \t(\""); i >= 0 { // RFC 822 comment or junk after the token
		v = v[:i]
	}
	if rest == "" {
		return v, nil, dup
	}
	params := make(map[string]string, 2)
	var sections map[string][]section
	for rest != "" {
		var attr, val string
		attr, val, rest = nextParam(rest)
		if attr == "" {
			continue
		}
		if name, n, enc, ok := splitSection(attr); ok {
			if sections == nil {
				sections = make(map[string][]section)
			}
			sections[name] = append(sections[name], section{n: n, value: val, encoded: enc})
			continue
		}
		if _, seen := params[attr]; seen {
			dup.any = true
			if attr == "boundary" {
				dup.boundary = true
			}
			if !lastWins {
				continue
			}
		}
		params[attr] = val
	}
	for name, secs := range sections {
		params[name] = joinSections(secs) // RFC 2231 form wins over the plain one
	}
	return v, params, dup
}

// nextParam reads one "attr=value" from s (after a ";") and returns the rest
// after the next ";" outside quotes.
func nextParam(s string) (attr, val, rest string) {
	s = strings.TrimLeft(s, " \t;")
	eq := strings.IndexAny(s, "=;")
	if eq < 0 || s[eq] == ';' {
		if eq < 0 {
			return "", "", ""
		}
		return "", "", s[eq+1:]
	}
	attr = strings.ToLower(strings.TrimSpace(s[:eq]))
	s = strings.TrimLeft(s[eq+1:], " \t")
	if strings.HasPrefix(s, `"`) {
		if j := strings.IndexAny(s[1:], `"\\`); j >= 0 && s[1+j] == '"' { // no escapes
			rest = s[2+j:]
			if k := strings.IndexByte(rest, ';'); k >= 0 {
				rest = rest[k+1:]
			} else {
				rest = ""
			}
			return attr, s[1 : 1+j], rest
		}
		var b strings.Builder
		i := 1
		for ; i < len(s); i++ {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
				continue
			}
			if c == '"' {
				i++
				break
			}
			b.WriteByte(c)
		}
		rest = s[i:]
		if j := strings.IndexByte(rest, ';'); j >= 0 {
			rest = rest[j+1:]
		} else {
			rest = ""
		}
		return attr, b.String(), rest
	}
	val, rest, _ = strings.Cut(s, ";")
	return attr, strings.TrimSpace(val), rest
}

// splitSection parses an RFC 2231 attribute "name*", "name*N" or "name*N*".
func splitSection(attr string) (name string, n int, encoded, ok bool) {
	i := strings.IndexByte(attr, '*')
	if i <= 0 {
		return "", 0, false, false
	}
	name, tail := attr[:i], attr[i+1:]
	if tail == "" {
		return name, 0, true, true
	}
	if strings.HasSuffix(tail, "*") {
		encoded, tail = true, tail[:len(tail)-1]
	}
	n, err := strconv.Atoi(tail)
	if err != nil || n < 0 || n > 999 { // a bound so a hostile count cannot matter
		return "", 0, false, false
	}
	return name, n, encoded, true
}

// joinSections concatenates the sections in order, percent-decoding the
// encoded ones, and converts the result from the charset of section 0.
func joinSections(secs []section) string {
	sort.SliceStable(secs, func(i, j int) bool { return secs[i].n < secs[j].n })
	charset := ""
	var b []byte
	for i, s := range secs {
		v := s.value
		if s.encoded {
			if i == 0 {
				// charset'language'value; tolerate a missing language part.
				if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
					charset, v = parts[0], parts[2]
				}
			}
			b = appendPercentDecoded(b, v)
		} else {
			b = append(b, v...)
		}
	}
	return DecodeCharset(b, charset)
}

func appendPercentDecoded(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return b
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
