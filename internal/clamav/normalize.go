package clamav

import (
	"bytes"
	"strconv"
	"sync"
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

// textClass maps a byte to what normText does with it: 0 keep, 1 space,
// or the lower-case letter.
var textClass = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		switch {
		case isSpace(byte(c)):
			t[c] = 1
		case c >= 'A' && c <= 'Z':
			t[c] = byte(c) + 32
		}
	}
	return t
}()

// normText lower-cases d and collapses whitespace runs into one space,
// appending to out (which may be a reused buffer).
func normText(out, d []byte) []byte {
	if cap(out) < len(d) {
		out = make([]byte, len(d))
	}
	out = out[:len(d)]
	j := 0
	space := false
	for _, c := range d {
		k := textClass[c]
		if k == 1 {
			space = true
			continue
		}
		if k != 0 {
			c = k
		}
		if space && j > 0 {
			// QUIRK: out and d may be the same buffer (normHTML); j
			// never passes the read position, and a space is only
			// written where a whitespace byte was read.
			out[j] = ' '
			j++
		}
		space = false
		out[j] = c
		j++
	}
	return out[:j]
}

// normPool recycles normalisation buffers between scans.
var normPool = sync.Pool{New: func() any { return new([]byte) }}

var namedEntities = map[string]byte{"lt": '<', "gt": '>', "amp": '&', "quot": '"', "apos": '\'', "nbsp": ' '}

// normHTML drops comments, decodes character references and applies
// normText's lower-casing and whitespace folding to the result, all in
// one pass, appending to out[:0] (a reused buffer).
func normHTML(out, d []byte) []byte {
	if cap(out) < len(d) {
		out = make([]byte, 0, len(d))
	}
	out = out[:0]
	space := false
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
				c = b
				i += n
			} else {
				i++
			}
		default:
			i++
		}
		// normText's step for one byte.
		k := textClass[c]
		if k == 1 {
			space = true
			continue
		}
		if k != 0 {
			c = k
		}
		if space && len(out) > 0 {
			out = append(out, ' ')
		}
		space = false
		out = append(out, c)
	}
	return out
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

// stripTags turns every <...> of normalised HTML into one space, in place,
// and collapses the spaces that leaves.
func stripTags(d []byte) []byte {
	j := 0
	in := false
	for _, c := range d {
		switch {
		case in:
			in = c != '>'
			continue
		case c == '<':
			in = true
			c = ' '
		}
		if c == ' ' && (j == 0 || d[j-1] == ' ') {
			continue
		}
		d[j] = c
		j++
	}
	return d[:j]
}
