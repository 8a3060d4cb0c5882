package unpack

import "bytes"

// # Text encodings
//
// Lenient decoders shared by mail, html and pdf: they skip what does not
// belong to the alphabet instead of failing, since a scanner must see what a
// forgiving client would decode.

// decodeBase64Lenient decodes RFC 4648 base64 (standard or URL alphabet),
// ignoring whitespace and junk, stopping at padding.
func decodeBase64Lenient(in []byte) []byte {
	out := make([]byte, 0, len(in)*3/4)
	var acc uint32
	n := 0
	for _, c := range in {
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+' || c == '-':
			v = 62
		case c == '/' || c == '_':
			v = 63
		case c == '=':
			return flushBase64(out, acc, n)
		default:
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	return flushBase64(out, acc, n)
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
