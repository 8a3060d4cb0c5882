package unpack

import (
	"context"
	"errors"
)

// # ARJ methods 1-3
//
// The LHA-family decoder ARJ uses: MSB-first bits in blocks, each starting
// with a 16-bit symbol count and three canonical Huffman tables:
//   - a "pt" table of code lengths (19 symbols, 5-bit count; lengths are
//     3 bits, 7 extended by a unary run of 1s; after the third length a
//     2-bit count of zero lengths),
//   - the char/length table (510 symbols, 9-bit count) whose lengths are
//     coded with the pt table (0: one zero, 1: 4 bits+3 zeros, 2: 9 bits+20
//     zeros, n: length n-2),
//   - the position table (17 symbols, 5-bit count).
// A count of 0 means one constant symbol (read with the count's width).
// Symbols 0-255 are literals; s ≥ 256 is a match of length s-253 at
// distance p+1, where position symbol j>1 means (1<<(j-1)) + j-1 more bits.

var errArjData = errors.New("arj: corrupt data")

const (
	arjNC   = 510
	arjNP   = 17
	arjNT   = 19
	arjWin  = 1 << 16
	arjSlop = 64 // bits we accept reading past the end before giving up
)

// arjTable is a canonical code or, when constant >= 0, a single symbol.
type arjTable struct {
	h        huffman
	constant int
}

func (t *arjTable) decode(m *msbReader) (int, error) {
	if t.constant >= 0 {
		return t.constant, nil
	}
	return t.h.decodeMSB(m)
}

func arjPT(m *msbReader, nn, nbit, special int) (arjTable, error) {
	n := int(m.get(nbit))
	if n == 0 {
		return arjTable{constant: int(m.get(nbit)) % nn}, nil
	}
	if n > nn {
		return arjTable{}, errArjData
	}
	lens := make([]uint8, nn)
	for i := 0; i < n; {
		c := int(m.get(3))
		if c == 7 {
			for m.bit() == 1 && c < maxCodeLen {
				c++
			}
		}
		if c > maxCodeLen {
			return arjTable{}, errArjData
		}
		lens[i] = uint8(c)
		i++
		if i == special {
			i += int(m.get(2))
		}
	}
	t := arjTable{constant: -1}
	return t, t.h.build(lens)
}

func arjC(m *msbReader, pt *arjTable) (arjTable, error) {
	n := int(m.get(9))
	if n == 0 {
		return arjTable{constant: int(m.get(9)) % arjNC}, nil
	}
	if n > arjNC {
		return arjTable{}, errArjData
	}
	lens := make([]uint8, arjNC)
	for i := 0; i < n; {
		c, err := pt.decode(m)
		if err != nil {
			return arjTable{}, err
		}
		if c > 2 {
			lens[i] = uint8(c - 2)
			i++
			continue
		}
		zeros := 1
		switch c {
		case 1:
			zeros = int(m.get(4)) + 3
		case 2:
			zeros = int(m.get(9)) + 20
		}
		i += zeros
	}
	t := arjTable{constant: -1}
	return t, t.h.build(lens)
}

// arjDecode inflates methods 1-3 up to size bytes.
func (x *run) arjDecode(ctx context.Context, comp []byte, size int64) ([]byte, error) {
	m := &msbReader{d: comp}
	out := make([]byte, 0, min(size, int64(len(comp))*16))
	var c, p arjTable
	block := 0
	for int64(len(out)) < size {
		if m.over > arjSlop {
			return out, errArjData
		}
		if block == 0 {
			if err := x.check(ctx); err != nil {
				return out, err
			}
			block = int(m.get(16))
			pt, err := arjPT(m, arjNT, 5, 3)
			if err == nil {
				c, err = arjC(m, &pt)
			}
			if err == nil {
				p, err = arjPT(m, arjNP, 5, -1)
			}
			if err != nil {
				return out, err
			}
		}
		block--
		s, err := c.decode(m)
		if err != nil {
			return out, err
		}
		if s < 256 {
			out = append(out, byte(s))
			continue
		}
		length := s - 253
		j, err := p.decode(m)
		if err != nil {
			return out, err
		}
		if j > 1 {
			j = 1<<(j-1) + int(m.get(j-1))
		}
		from := len(out) - j - 1
		if from < 0 {
			return out, errArjData
		}
		for k := 0; k < length && int64(len(out)) < size; k++ {
			out = append(out, out[from+k])
		}
	}
	return out, x.grow(int64(len(out)))
}
