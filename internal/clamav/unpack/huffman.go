package unpack

import (
	"bufio"
	"errors"
	"io"
)

// # Bit input and canonical Huffman codes
//
// Shared by inflate/deflate64 and implode: bits are taken least significant
// first (RFC 1951 3.1.1); Huffman codes are canonical and read most
// significant bit first, decoded one bit at a time against per-length
// counts, the small table-free scheme of zlib's puff.c.

// maxCodeLen is 15 for deflate, 16 for implode trees.
const maxCodeLen = 16

var errHuffman = errors.New("bad huffman code")

type bitReader struct {
	r     io.ByteReader
	bits  uint32
	nbits uint
}

func newBitReader(r io.Reader) *bitReader {
	br, ok := r.(io.ByteReader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &bitReader{r: br}
}

// need makes n (≤ 24) bits available.
func (b *bitReader) need(n uint) error {
	for b.nbits < n {
		c, err := b.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		b.bits |= uint32(c) << b.nbits
		b.nbits += 8
	}
	return nil
}

// get returns the next n (≤ 24) bits, first bit lowest.
func (b *bitReader) get(n uint) (uint32, error) {
	if n == 0 {
		return 0, nil
	}
	if err := b.need(n); err != nil {
		return 0, err
	}
	v := b.bits & (1<<n - 1)
	b.bits >>= n
	b.nbits -= n
	return v, nil
}

// align drops the bits left in the current byte.
func (b *bitReader) align() { b.bits >>= b.nbits % 8; b.nbits -= b.nbits % 8 }

// huffman is a canonical code: count[l] codes of length l, sym in code order.
type huffman struct {
	count [maxCodeLen + 1]uint16
	sym   []uint16
}

// build fills h from per-symbol code lengths (0 = unused). Incomplete codes
// are allowed (a single distance code is legal); oversubscribed ones are not.
func (h *huffman) build(lengths []uint8) error {
	h.count = [maxCodeLen + 1]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	left := 1
	for l := 1; l <= maxCodeLen; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return errHuffman
		}
	}
	var offs [maxCodeLen + 1]uint16
	for l := 1; l < maxCodeLen; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.sym = make([]uint16, len(lengths))
	for s, l := range lengths {
		if l != 0 {
			h.sym[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	return nil
}

// decode reads one symbol; invert flips each code bit (implode stores codes
// bit-complemented relative to the canonical order).
func (h *huffman) decode(b *bitReader, invert bool) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l <= maxCodeLen; l++ {
		bit, err := b.get(1)
		if err != nil {
			return 0, err
		}
		if invert {
			bit ^= 1
		}
		code |= int(bit)
		count := int(h.count[l])
		if code-count < first {
			return int(h.sym[index+code-first]), nil
		}
		index += count
		first += count
		first <<= 1
		code <<= 1
	}
	return 0, errHuffman
}

// msbReader reads bits most significant first (ARJ, LHA), yielding zero
// bits past the end of input as the original decoders do; over counts
// them so a decoder can give up on a stream that has run dry.
type msbReader struct {
	d    []byte
	pos  int // bit position
	over int
}

func (m *msbReader) bit() uint32 {
	if m.pos>>3 >= len(m.d) {
		m.over++
		m.pos++
		return 0
	}
	b := uint32(m.d[m.pos>>3]>>(7-m.pos&7)) & 1
	m.pos++
	return b
}

func (m *msbReader) get(n int) uint32 {
	var v uint32
	for range n {
		v = v<<1 | m.bit()
	}
	return v
}

// decodeMSB reads one symbol MSB-first; a code with a single zero-length
// symbol (only) returns it without reading.
func (h *huffman) decodeMSB(m *msbReader) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l <= maxCodeLen; l++ {
		code |= int(m.bit())
		count := int(h.count[l])
		if code-count < first {
			return int(h.sym[index+code-first]), nil
		}
		index += count
		first += count
		first <<= 1
		code <<= 1
	}
	return 0, errHuffman
}
