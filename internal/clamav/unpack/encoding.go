package unpack

import "bytes"

// # Text encodings
//
// Lenient decoders shared by mail, html and pdf: they skip what does not
// belong to the alphabet instead of failing, since a scanner must see what a
// forgiving client would decode.

// b64Junk and b64Pad mark the bytes of b64Value that are not digits.
const (
	b64Junk = 0xff
	b64Pad  = 0xfe
)

// b64Value maps a byte to its base64 digit value (standard and URL
// alphabets), b64Pad for '=' and b64Junk for anything else.
var b64Value = func() (t [256]byte) {
	for c := range t {
		t[c] = b64Junk
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = byte(i)
	}
	t['-'], t['_'], t['='] = 62, 63, b64Pad
	return t
}()

// decodeBase64Lenient decodes RFC 4648 base64 (standard or URL alphabet),
// ignoring whitespace and junk, stopping at padding.
//
// Whole groups of four digits are decoded straight through a table; a
// group broken by a line end or junk falls back to one digit at a time
// until the accumulator is empty again, so the output is that of the
// digit-by-digit decoder whatever the input.
func decodeBase64Lenient(in []byte) []byte {
	return decodeBase64Into(nil, in)
}

// decodeBase64Into is decodeBase64Lenient writing into dst's array when
// it is big enough (dst's contents are overwritten).
func decodeBase64Into(dst, in []byte) []byte {
	out := dst[:cap(dst)]
	if need := len(in)*3/4 + 3; len(out) < need {
		out = make([]byte, need)
	}
	j := 0
	var acc uint32
	n := 0
	for i := 0; i < len(in); {
		if n == 0 {
			// Fast path: runs of complete quads.
			for i+4 <= len(in) {
				a, b, c, d := b64Value[in[i]], b64Value[in[i+1]], b64Value[in[i+2]], b64Value[in[i+3]]
				if a|b|c|d >= 64 {
					break
				}
				v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
				o := out[j : j+3 : j+3]
				o[0], o[1], o[2] = byte(v>>16), byte(v>>8), byte(v)
				i += 4
				j += 3
			}
			if i >= len(in) {
				break
			}
		}
		v := b64Value[in[i]]
		i++
		switch v {
		case b64Junk:
			continue
		case b64Pad:
			return flushBase64(out[:j], acc, n)
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			o := out[j : j+3 : j+3]
			o[0], o[1], o[2] = byte(acc>>16), byte(acc>>8), byte(acc)
			j += 3
			acc, n = 0, 0
		}
	}
	return flushBase64(out[:j], acc, n)
}

func flushBase64(out []byte, acc uint32, n int) []byte {
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out
}

// decodeQP decodes RFC 2045 6.7 quoted-printable; a bad escape is kept literally.
func decodeQP(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+1 < len(in) && (in[i+1] == '\n' || in[i+1] == '\r') { // soft line break
			i++
			if in[i] == '\r' && i+1 < len(in) && in[i+1] == '\n' {
				i++
			}
			continue
		}
		if i+2 < len(in) && isHex(in[i+1]) && isHex(in[i+2]) {
			out = append(out, unhex(in[i+1])<<4|unhex(in[i+2]))
			i += 2
			continue
		}
		out = append(out, c)
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// decodeHexLenient decodes hex digits, skipping anything else (RTF
// \objdata, PDF ASCIIHexDecode up to '>').
func decodeHexLenient(in []byte, stop byte) []byte {
	out := make([]byte, 0, len(in)/2)
	var hi byte
	half := false
	for _, c := range in {
		if c == stop && stop != 0 {
			break
		}
		if !isHex(c) {
			continue
		}
		if half {
			out = append(out, hi<<4|unhex(c))
		} else {
			hi = unhex(c)
		}
		half = !half
	}
	if half && stop == '>' { // PDF: a final odd digit is followed by 0
		out = append(out, hi<<4)
	}
	return out
}

// uuBeginPrefix starts a uuencoded block: "begin <octal mode> <name>".
var uuBeginPrefix = []byte("begin ")

// findUUBegin returns the offset of the first "begin NNN " line, or -1.
func findUUBegin(d []byte) int {
	for off := 0; off < len(d); {
		if bytes.HasPrefix(d[off:], uuBeginPrefix) {
			rest := d[off+6:]
			j := 0
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '7' {
				j++
			}
			if j >= 3 && j < len(rest) && rest[j] == ' ' {
				return off
			}
		}
		i := bytes.IndexByte(d[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return -1
}

// decodeUU decodes one uuencoded block starting at its begin line and
// returns the data, the file name and the bytes consumed.
func decodeUU(d []byte) ([]byte, string, int) {
	var name string
	var out []byte
	off := 0
	first := true
	for off < len(d) {
		i := bytes.IndexByte(d[off:], '\n')
		end := len(d)
		if i >= 0 {
			end = off + i + 1
		}
		line := bytes.TrimRight(d[off:end], "\r\n")
		off = end
		if first {
			if f := bytes.Fields(line); len(f) >= 3 {
				name = string(bytes.Join(f[2:], []byte(" ")))
			}
			first = false
			continue
		}
		if bytes.Equal(line, []byte("end")) || len(line) == 0 {
			if len(line) == 0 {
				continue
			}
			break
		}
		n := int((line[0] - ' ') & 63)
		if n == 0 {
			continue
		}
		var dec []byte
		for j := 1; j+3 < len(line)+3 && len(dec) < n; j += 4 {
			var q [4]byte
			for k := range 4 {
				if j+k < len(line) {
					q[k] = (line[j+k] - ' ') & 63
				}
			}
			dec = append(dec, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
		}
		out = append(out, dec[:min(n, len(dec))]...)
	}
	return out, name, off
}

// # ASCII case folding without copies
//
// Markers (tags, header names, "data:") are looked for case-insensitively.
// Lower-casing a whole input for that costs a copy of it, and Unicode
// lower-casing (bytes.ToLower) turns only two non-ASCII characters into
// ASCII: U+0130 (to 'i') and U+212A KELVIN SIGN (to 'k'). Where neither
// occurs, ASCII folding in place finds exactly the same ASCII markers.

// foldSafe reports whether b holds neither U+0130 nor U+212A, so that
// ASCII folding matches what bytes.ToLower would.
func foldSafe(b []byte) bool {
	return !bytes.Contains(b, []byte("\xc4\xb0")) && !bytes.Contains(b, []byte("\xe2\x84\xaa"))
}

// lowerASCII maps A-Z to a-z and every other byte to itself.
var lowerASCII = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if c >= 'A' && c <= 'Z' {
			t[c] = byte(c) + 32
		}
	}
	return t
}()

// hasPrefixFold reports whether b starts with lower (lower-case ASCII),
// ignoring ASCII case.
func hasPrefixFold(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		if lowerASCII[b[i]] != lower[i] {
			return false
		}
	}
	return true
}

// indexFold returns the index of the first occurrence of lower (non-empty
// lower-case ASCII) in b ignoring ASCII case, or -1. It jumps between
// occurrences of the needle's first non-letter byte when there is one.
func indexFold(b []byte, lower string) int {
	k := 0
	for k < len(lower) && lower[k] >= 'a' && lower[k] <= 'z' {
		k++
	}
	if k == len(lower) { // letters only: try both cases of the first one
		for i := 0; i+len(lower) <= len(b); i++ {
			if lowerASCII[b[i]] == lower[0] && hasPrefixFold(b[i:], lower) {
				return i
			}
		}
		return -1
	}
	for off := k; off < len(b); {
		j := bytes.IndexByte(b[off:], lower[k])
		if j < 0 {
			return -1
		}
		start := off + j - k
		if start+len(lower) > len(b) {
			return -1
		}
		if start >= 0 && hasPrefixFold(b[start:], lower) {
			return start
		}
		off += j + 1
	}
	return -1
}

// htmlSniffTags mark HTML for sniffText.
var htmlSniffTags = []string{"<html", "<!doctype html", "<head", "<body", "<script", "<a href", "<img", "<iframe", "<object"}

// sniffTextASCII is sniffText for a head that foldSafe accepts: the same
// decisions by ASCII folding in place, without lower-cased copies. Like
// strings.SplitN(h, "\n", 16) it looks at 15 lines and the rest as a 16th.
func sniffTextASCII(h []byte) Kind {
	headers := 0
	rest := h
	for i := 0; i < 16; i++ {
		line := rest
		last := true
		if j := bytes.IndexByte(rest, '\n'); j >= 0 && i < 15 {
			line, rest, last = rest[:j], rest[j+1:], false
		}
		line = bytes.TrimRight(line, "\r")
		if i == 0 && hasPrefixFold(line, "from ") {
			headers++
		} else if len(line) == 0 {
			break
		} else {
			for _, p := range mailHeaders {
				if hasPrefixFold(line, p) {
					headers++
					break
				}
			}
		}
		if last {
			break
		}
	}
	if headers >= 2 {
		return KindMail
	}
	head := h[:min(len(h), 1024)]
	for _, tag := range htmlSniffTags {
		if indexFold(head, tag) >= 0 {
			return KindHTML
		}
	}
	if findUUBegin(h) >= 0 {
		return KindUU
	}
	return KindNone
}
