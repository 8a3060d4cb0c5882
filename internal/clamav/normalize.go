package clamav

import (
	"bytes"
	"strconv"
)

// # Normalisation
//
// Target type 3 signatures match normalised HTML and type 7 normalised
// text, as ClamAV's htmlnorm and textnorm produce them: ASCII letters
// lower-cased, every run of whitespace (space, tab, CR, LF, FF, VT) one
// space. HTML additionally loses its comments and has character references
// (&lt; &#65; &#x41;) decoded; tags are kept, lower-cased like the rest.

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

// normText lower-cases d and collapses whitespace runs into one space.
func normText(d []byte) []byte {
	out := make([]byte, 0, len(d))
	space := false
	for _, c := range d {
		if isSpace(c) {
			space = true
			continue
		}
		if space && len(out) > 0 {
			out = append(out, ' ')
		}
		space = false
		out = append(out, lower(c))
	}
	return out
}

var namedEntities = map[string]byte{"lt": '<', "gt": '>', "amp": '&', "quot": '"', "apos": '\'', "nbsp": ' '}

// normHTML drops comments, decodes character references, then applies
// normText.
func normHTML(d []byte) []byte {
	out := make([]byte, 0, len(d))
	for i := 0; i < len(d); {
		c := d[i]
		switch {
		case c == '<' && bytes.HasPrefix(d[i:], []byte("<!--")):
			end := bytes.Index(d[i+4:], []byte("-->"))
			if end < 0 {
				i = len(d)
			} else {
				i += 4 + end + 3
			}
			continue
		case c == '&':
			if b, n := decodeEntity(d[i:]); n > 0 {
				out = append(out, b)
				i += n
				continue
			}
		}
		out = append(out, c)
		i++
	}
	return normText(out)
}

// decodeEntity decodes one character reference at the start of d, giving
// the byte and the length consumed (0 if none). Code points above 0xff
// are not single bytes and are left alone.
func decodeEntity(d []byte) (byte, int) {
	end := bytes.IndexByte(d[:min(len(d), 12)], ';')
	if end < 2 {
		return 0, 0
	}
	name := string(d[1:end])
	if name[0] == '#' {
		base, digits := 10, name[1:]
		if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
			base, digits = 16, digits[1:]
		}
		v, err := strconv.ParseUint(digits, base, 8)
		if err != nil {
			return 0, 0
		}
		return byte(v), end + 1
	}
	if b, ok := namedEntities[name]; ok {
		return b, end + 1
	}
	return 0, 0
}
