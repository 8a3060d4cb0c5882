package unpack

import (
	"encoding/binary"
	"errors"
)

// # LZX (CHM section 1, CAB method 3)
//
// The format as described in Microsoft's LZX DELTA specification and the
// CAB SDK: input is 16-bit little-endian words read most significant bit
// first. Output is cut into 32 KiB frames; after each frame the input is
// realigned to a 16-bit boundary, and every resetInterval bytes the whole
// state resets (repeated offsets R0-R2 = 1, tree lengths zero, header bit
// re-read). The header is one bit (Intel E8 call translation), followed by
// a 32-bit file size when set. Blocks: 3-bit type (1 verbatim, 2 aligned
// offset, 3 uncompressed), 24-bit size. Verbatim and aligned blocks carry
// the main tree (256 literals + 8 per position slot) and length tree (249)
// as deltas against the previous lengths through a 20-symbol pretree
// (17: 4+ zeros, 18: 20+ zeros, 19: 4-5 repeats); aligned blocks first give
// an 8-symbol, 3-bit aligned tree used for the low 3 bits of long offsets.
// Uncompressed blocks realign (1-16 bits), store R0-R2 and raw bytes (padded
// to even length).

var errLZX = errors.New("lzx: corrupt")

const lzxFrame = 32768

var lzxExtra, lzxBase = func() ([51]uint8, [51]uint32) {
	var e [51]uint8
	var b [51]uint32
	j := uint8(0)
	for i := 0; i < 51; i += 2 {
		e[i] = j
		if i+1 < 51 {
			e[i+1] = j
		}
		if i != 0 && j < 17 {
			j++
		}
	}
	acc := uint32(0)
	for i := range b {
		b[i] = acc
		acc += 1 << e[i]
	}
	return e, b
}()

// lzxBits reads 16-bit LE words MSB first.
type lzxBits struct {
	d    []byte
	pos  int // next byte to load
	buf  uint64
	left uint
}

func (b *lzxBits) fill() {
	for b.left <= 48 {
		var w uint64
		if b.pos+1 < len(b.d) {
			w = uint64(binary.LittleEndian.Uint16(b.d[b.pos:]))
		}
		b.pos += 2
		b.buf |= w << (48 - b.left)
		b.left += 16
	}
}

func (b *lzxBits) get(n uint) uint32 {
	if n == 0 {
		return 0
	}
	if b.left < n {
		b.fill()
	}
	v := uint32(b.buf >> (64 - n))
	b.buf <<= n
	b.left -= n
	return v
}

func (b *lzxBits) bit() uint32 { return b.get(1) }

func (b *lzxBits) exhausted() bool { return b.pos > len(b.d)+8 }

// align16 drops the bits left in the current 16-bit word.
func (b *lzxBits) align16() { b.get(b.left % 16) }

// realign implements the uncompressed-block padding of 1-16 bits and
// returns the byte offset where raw data starts.
func (b *lzxBits) realign() int {
	consumed := b.pos*8 - int(b.left)
	consumed += 16 - consumed%16
	b.buf, b.left, b.pos = 0, 0, consumed/8
	return b.pos
}

func (h *huffman) decodeLZX(b *lzxBits) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l <= maxCodeLen; l++ {
		code |= int(b.bit())
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

type lzxState struct {
	br                  *lzxBits
	slots               int
	mainLens, lenLens   []uint8
	main, length, align huffman
	r                   [3]uint32
	headerRead          bool
	e8Size              uint32
	blockType           uint32
	remaining           int64
}

func (s *lzxState) reset() {
	s.r = [3]uint32{1, 1, 1}
	s.headerRead, s.remaining, s.blockType = false, 0, 0
	clear(s.mainLens)
	clear(s.lenLens)
}

// readLengths updates lens[first:last] through a freshly read pretree.
func (s *lzxState) readLengths(lens []uint8, first, last int) error {
	var pl [20]uint8
	for i := range pl {
		pl[i] = uint8(s.br.get(4))
	}
	var pre huffman
	if err := pre.build(pl[:]); err != nil {
		return err
	}
	for x := first; x < last; {
		z, err := pre.decodeLZX(s.br)
		if err != nil {
			return err
		}
		switch z {
		case 17, 18:
			var n int
			if z == 17 {
				n = int(s.br.get(4)) + 4
			} else {
				n = int(s.br.get(5)) + 20
			}
			for ; n > 0 && x < len(lens); n-- { // QUIRK: runs may spill past last, as Microsoft's decoder lets them
				lens[x] = 0
				x++
			}
		case 19:
			n := int(s.br.get(1)) + 4
			z, err = pre.decodeLZX(s.br)
			if err != nil || z > 16 {
				return errLZX
			}
			v := uint8((int(lens[x]) - z + 17) % 17)
			for ; n > 0 && x < len(lens); n-- {
				lens[x] = v
				x++
			}
		default:
			lens[x] = uint8((int(lens[x]) - z + 17) % 17)
			x++
		}
	}
	return nil
}
