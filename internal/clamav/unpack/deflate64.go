package unpack

import (
	"errors"
	"io"
)

// # Deflate64 (enhanced deflate, ZIP method 9)
//
// RFC 1951 with three changes, from PKWARE APPNOTE 4.4.5 and the reverse
// engineered descriptions: a 64 KiB window; length symbol 285 carries 16
// extra bits on a base of 3 instead of meaning 258; distance symbols 30 and
// 31 are valid (bases 32769 and 49153, 14 extra bits). The same decoder
// runs plain deflate when d64 is false.

var errInflate = errors.New("inflate: corrupt stream")

var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	dstBase  = [32]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577, 32769, 49153}
	dstExtra = [32]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14}
	// clOrder is the permuted order of code length code lengths (3.2.7).
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// inflateStep is how much output one step produces before Read returns it.
const inflateStep = 32 << 10

type inflater struct {
	br       *bitReader
	d64      bool
	win      []byte // ring of the last len(win) bytes output
	wpos     int
	wfull    bool
	pending  []byte
	final    bool
	inBlock  bool
	stored   int // bytes left in a stored block, -1 when Huffman
	lit, dst huffman
	err      error
}

func newInflater(r io.Reader, d64 bool) *inflater {
	size := 32 << 10
	if d64 {
		size = 64 << 10
	}
	return &inflater{br: newBitReader(r), d64: d64, win: make([]byte, size)}
}

func (f *inflater) Close() error { return nil }

func (f *inflater) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		f.pending = f.pending[:0]
		f.err = f.step()
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

func (f *inflater) out(c byte) {
	f.pending = append(f.pending, c)
	f.win[f.wpos] = c
	f.wpos++
	if f.wpos == len(f.win) {
		f.wpos, f.wfull = 0, true
	}
}

// step decodes up to inflateStep bytes; io.EOF after the final block.
func (f *inflater) step() error {
	if !f.inBlock {
		if f.final {
			return io.EOF
		}
		if err := f.header(); err != nil {
			return err
		}
	}
	for len(f.pending) < inflateStep {
		if f.stored >= 0 {
			if f.stored == 0 {
				f.inBlock = false
				return nil
			}
			c, err := f.br.get(8)
			if err != nil {
				return err
			}
			f.out(byte(c))
			f.stored--
			continue
		}
		done, err := f.symbol()
		if err != nil {
			return err
		}
		if done {
			f.inBlock = false
			return nil
		}
	}
	return nil
}

func (f *inflater) header() error {
	h, err := f.br.get(3)
	if err != nil {
		return err
	}
	f.final, f.inBlock, f.stored = h&1 == 1, true, -1
	switch h >> 1 {
	case 0:
		f.br.align()
		v, err := f.br.get(16)
		if err != nil {
			return err
		}
		nv, err := f.br.get(16)
		if err != nil {
			return err
		}
		if v != ^nv&0xffff {
			return errInflate
		}
		f.stored = int(v)
		return nil
	case 1:
		return f.fixed()
	case 2:
		return f.dynamic()
	}
	return errInflate
}

func (f *inflater) fixed() error {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	if err := f.lit.build(l[:]); err != nil {
		return err
	}
	var d [32]uint8
	for i := range d {
		d[i] = 5
	}
	return f.dst.build(d[:])
}

func (f *inflater) dynamic() error {
	v, err := f.br.get(14)
	if err != nil {
		return err
	}
	nlen, ndist, ncode := int(v&31)+257, int(v>>5&31)+1, int(v>>10)+4
	if nlen > 288 || ndist > 32 {
		return errInflate
	}
	var cl [19]uint8
	for i := range ncode {
		c, err := f.br.get(3)
		if err != nil {
			return err
		}
		cl[clOrder[i]] = uint8(c)
	}
	var ch huffman
	if err := ch.build(cl[:]); err != nil {
		return err
	}
	lengths := make([]uint8, nlen+ndist)
	for i := 0; i < len(lengths); {
		s, err := ch.decode(f.br, false)
		if err != nil {
			return err
		}
		if s < 16 {
			lengths[i] = uint8(s)
			i++
			continue
		}
		var rep uint32
		var val uint8
		switch s {
		case 16:
			if i == 0 {
				return errInflate
			}
			val = lengths[i-1]
			rep, err = f.br.get(2)
			rep += 3
		case 17:
			rep, err = f.br.get(3)
			rep += 3
		default:
			rep, err = f.br.get(7)
			rep += 11
		}
		if err != nil {
			return err
		}
		if i+int(rep) > len(lengths) {
			return errInflate
		}
		for ; rep > 0; rep-- {
			lengths[i] = val
			i++
		}
	}
	if err := f.lit.build(lengths[:nlen]); err != nil {
		return err
	}
	return f.dst.build(lengths[nlen:])
}

// symbol decodes one literal or match; done at end of block.
func (f *inflater) symbol() (done bool, err error) {
	s, err := f.lit.decode(f.br, false)
	if err != nil {
		return false, err
	}
	switch {
	case s < 256:
		f.out(byte(s))
		return false, nil
	case s == 256:
		return true, nil
	case s > 285:
		return false, errInflate
	}
	s -= 257
	base, extra := int(lenBase[s]), uint(lenExtra[s])
	if f.d64 && s == 28 {
		base, extra = 3, 16
	}
	e, err := f.br.get(extra)
	if err != nil {
		return false, err
	}
	length := base + int(e)
	d, err := f.dst.decode(f.br, false)
	if err != nil {
		return false, err
	}
	if d >= 32 || (!f.d64 && d >= 30) {
		return false, errInflate
	}
	e, err = f.br.get(uint(dstExtra[d]))
	if err != nil {
		return false, err
	}
	dist := int(dstBase[d]) + int(e)
	return false, f.copyBack(dist, length)
}

// copyBack repeats length bytes from dist back in the window.
func (f *inflater) copyBack(dist, length int) error {
	if dist > len(f.win) || (!f.wfull && dist > f.wpos) {
		return errInflate
	}
	for range length {
		f.out(f.win[(f.wpos-dist+len(f.win))%len(f.win)])
	}
	return nil
}
