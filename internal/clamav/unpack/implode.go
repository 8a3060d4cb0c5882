package unpack

import (
	"errors"
	"io"
)

// # Implode (ZIP method 6)
//
// PKWARE APPNOTE 5.3. Flag bit 1 selects an 8 KiB window (else 4 KiB),
// bit 2 a third Shannon-Fano tree for literals (else literals are raw
// bytes and the minimum match is 2, not 3). The trees come first, each as
// a byte count-1 then bytes whose low nibble is bit length-1 and high
// nibble count-1. Codes are assigned longest-first from zero, which is the
// bitwise complement of the canonical Huffman code of the same lengths, and
// stored bit-reversed: so huffman.decode with invert reads them.
// Then, until the declared size is reached: a 1 bit is a literal; a 0 bit is
// a match of distance (6 or 7 low raw bits, then the distance tree's upper
// 6 bits)+1 and length tree value (+8 raw bits when 63) + minimum match.
// Bytes before the start of output read as zero.

var errImplode = errors.New("implode: corrupt stream")

type exploder struct {
	br         *bitReader
	size, done int64
	big, lits  bool
	lit, ln    huffman
	dist       huffman
	win        [8192]byte
	pending    []byte
	err        error
	started    bool
}

func newExploder(r io.Reader, flags uint16, size int64) *exploder {
	return &exploder{br: newBitReader(r), size: size, big: flags&2 != 0, lits: flags&4 != 0}
}

func (e *exploder) Read(p []byte) (int, error) {
	for len(e.pending) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		e.err = e.step()
	}
	n := copy(p, e.pending)
	e.pending = e.pending[n:]
	return n, nil
}

// readTree reads one stored Shannon-Fano tree of n symbols.
func (e *exploder) readTree(h *huffman, n int) error {
	c, err := e.br.get(8)
	if err != nil {
		return err
	}
	lengths := make([]uint8, 0, n)
	for range c + 1 {
		b, err := e.br.get(8)
		if err != nil {
			return err
		}
		for range b>>4 + 1 {
			if len(lengths) == n {
				return errImplode
			}
			lengths = append(lengths, uint8(b&15)+1)
		}
	}
	if len(lengths) != n {
		return errImplode
	}
	return h.build(lengths)
}

func (e *exploder) start() error {
	e.started = true
	if e.lits {
		if err := e.readTree(&e.lit, 256); err != nil {
			return err
		}
	}
	if err := e.readTree(&e.ln, 64); err != nil {
		return err
	}
	return e.readTree(&e.dist, 64)
}

func (e *exploder) out(c byte) {
	e.pending = append(e.pending, c)
	e.win[e.done%int64(len(e.win))] = c
	e.done++
}

func (e *exploder) step() error {
	if !e.started {
		if err := e.start(); err != nil {
			return err
		}
	}
	for len(e.pending) < inflateStep {
		if e.done >= e.size {
			return io.EOF
		}
		if err := e.token(); err != nil {
			return err
		}
	}
	return nil
}

func (e *exploder) token() error {
	flag, err := e.br.get(1)
	if err != nil {
		return err
	}
	if flag == 1 {
		var c int
		if e.lits {
			c, err = e.lit.decode(e.br, true)
		} else {
			var v uint32
			v, err = e.br.get(8)
			c = int(v)
		}
		if err == nil {
			e.out(byte(c))
		}
		return err
	}
	lowBits := uint(6)
	if e.big {
		lowBits = 7
	}
	low, err := e.br.get(lowBits)
	if err != nil {
		return err
	}
	hi, err := e.dist.decode(e.br, true)
	if err != nil {
		return err
	}
	dist := int64(hi)<<lowBits | int64(low) + 1
	length, err := e.ln.decode(e.br, true)
	if err != nil {
		return err
	}
	if length == 63 {
		more, err := e.br.get(8)
		if err != nil {
			return err
		}
		length += int(more)
	}
	length += 2
	if e.lits {
		length++
	}
	for ; length > 0 && e.done < e.size; length-- {
		var c byte
		if dist <= e.done {
			c = e.win[(e.done-dist)%int64(len(e.win))]
		}
		e.out(c)
	}
	return nil
}
