package unpack

import (
	"errors"
	"io"
)

// # LZW (PDF LZWDecode)
//
// ISO 32000-1 7.4.4: codes are 9 to 12 bits, most significant bit first;
// 256 clears the table, 257 ends the data; with the default EarlyChange 1
// the code width grows one code early (at 511, 1023, 2047), unlike GIF's
// compress/lzw.

var errLZW = errors.New("lzw: corrupt")

type lzwReader struct {
	in      []byte
	bitPos  int
	prefix  [4096]uint16
	suffix  [4096]byte
	next    int
	width   int
	prev    int
	pending []byte
	pos     int
	err     error
}

func newLZW(b []byte) *lzwReader {
	r := &lzwReader{in: b}
	r.reset()
	return r
}

func (r *lzwReader) reset() { r.next, r.width, r.prev = 258, 9, -1 }

func (r *lzwReader) code() (int, bool) {
	if (r.bitPos+r.width+7)/8 > len(r.in) {
		return 0, false
	}
	v := 0
	for k := 0; k < r.width; k++ {
		p := r.bitPos + k
		v = v<<1 | int(r.in[p/8]>>(7-p%8)&1)
	}
	r.bitPos += r.width
	return v, true
}

// expand writes the string of code c to the pending output.
func (r *lzwReader) expand(c int) {
	start := len(r.pending)
	for c >= 258 {
		r.pending = append(r.pending, r.suffix[c])
		c = int(r.prefix[c])
	}
	r.pending = append(r.pending, byte(c))
	s := r.pending[start:]
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func (r *lzwReader) Read(p []byte) (int, error) {
	if r.pos == len(r.pending) {
		r.pending, r.pos = r.pending[:0], 0
		for len(r.pending) < inflateStep && r.err == nil {
			r.err = r.one()
		}
		if len(r.pending) == 0 {
			return 0, r.err
		}
	}
	n := copy(p, r.pending[r.pos:])
	r.pos += n
	return n, nil
}

func (r *lzwReader) one() error {
	c, ok := r.code()
	if !ok || c == 257 {
		return io.EOF
	}
	if c == 256 {
		r.reset()
		return nil
	}
	switch {
	case r.prev < 0:
		if c > 255 {
			return errLZW
		}
		r.expand(c)
	case c < r.next:
		at := len(r.pending)
		r.expand(c)
		r.add(r.prev, r.pending[at])
	case c == r.next:
		at := len(r.pending)
		r.expand(r.prev)
		r.pending = append(r.pending, r.pending[at])
		r.add(r.prev, r.pending[at])
	default:
		return errLZW
	}
	r.prev = c
	return nil
}

func (r *lzwReader) add(prefix int, c byte) {
	if r.next >= 4096 {
		return
	}
	r.prefix[r.next], r.suffix[r.next] = uint16(prefix), c
	r.next++
	if r.next+1 >= 1<<r.width && r.width < 12 { // EarlyChange 1
		r.width++
	}
}
