package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// # ASPack 2.x
//
// The entry point code starts "60 E8 03 00 00 00 E9 EB"; "68 00 00 00 00
// C3" (push 0; ret, patched with the old entry point) at a version's
// offset tells 2.12, 2.42 and those in between apart. All offsets below
// are from the entry point RVA - 1 in the image (the sections laid out by
// RVA). A table of (RVA, size) records (12 bytes after 2.12) names the
// blocks; each is decoded in place to size bytes from a stream of
// canonical Huffman codes (aspackStream): 721 literal/match symbols, 28
// long-length and 8 distance-low symbols, their code lengths sent
// delta-coded against the previous table with a 19-symbol code, and a
// symbol ≥ 720 sending new tables. Distances use 58 slots whose bases
// come from the stub (+str) and a three-entry history. ASPack then undoes
// the E8/E9 call filter of the first block.

var errASPack = errors.New("aspack: malformed")

type aspackVersion struct {
	epMark, blocks, mult, tables, callByte int
}

var aspackVersions = []aspackVersion{
	{0x3b9, 0x57c, 0x70e, 0x6d6, 0x148}, // 2.12
	{0x41f, 0x5d8, 0x76a, 0x732, 0x13a}, // between 2.12 and 2.42
	{0x42b, 0x5e4, 0x776, 0x73e, 0x148}, // 2.42
}

// aspackMaxBlocks bounds the block table walk.
const aspackMaxBlocks = 4096

func aspackVer(f *peFile) (int, bool) {
	ep := f.epCode(0x42b + 6)
	if !bytes.HasPrefix(ep, []byte("\x60\xe8\x03\x00\x00\x00\xe9\xeb")) {
		return 0, false
	}
	for i, v := range aspackVersions {
		if v.epMark+6 <= len(ep) && bytes.Equal(ep[v.epMark:v.epMark+6], []byte("\x68\x00\x00\x00\x00\xc3")) {
			return i, true
		}
	}
	return 0, false
}

func extractASPack(ctx context.Context, data []byte, x *run) error {
	f, err := parsePE(data)
	if err != nil {
		return errASPack
	}
	vi, ok := aspackVer(f)
	if !ok || f.ep == 0 {
		return fmt.Errorf("aspack: entry point not recognised: %w", errASPack)
	}
	v := aspackVersions[vi]
	var size int64
	for _, s := range f.sections {
		size = max(size, int64(s.rva)+int64(s.vsize))
	}
	img, err := x.alloc(size, "aspack")
	if err != nil {
		return err
	}
	for _, s := range f.sections {
		raw := f.rawData(s)
		if int64(s.rva)+int64(len(raw)) > size {
			return fmt.Errorf("aspack: section outside image: %w", errASPack)
		}
		copy(img[s.rva:], raw)
	}
	ep := int64(f.ep) - 1
	if ep+int64(v.mult)+58 > size || ep+int64(v.tables)+0x72 > size || ep+int64(v.callByte) >= size {
		return fmt.Errorf("aspack: stub outside image: %w", errASPack)
	}
	st := &aspackStream{hash: 0x10000}
	var j uint32
	for i := range st.slot {
		st.slot[i] = j
		if n := img[ep+int64(v.mult)+int64(i)]; n < 32 {
			j += 1 << n
		}
	}
	tables := img[ep+int64(v.tables) : ep+int64(v.tables)+0x72]
	rec, step := ep+int64(v.blocks), int64(12)
	if vi == 0 {
		step = 8
	}
	for n := 0; ; n++ {
		if err := x.check(ctx); err != nil {
			return err
		}
		rva, ok1 := u32(img, rec)
		bsize, ok2 := u32(img, rec+4)
		if !ok1 || !ok2 || n == aspackMaxBlocks {
			return fmt.Errorf("aspack: block table outside image: %w", errASPack)
		}
		if rva == 0 || bsize == 0 {
			if rva != 0 {
				return fmt.Errorf("aspack: empty block: %w", errASPack)
			}
			break
		}
		if int64(rva)+int64(bsize) > size {
			return fmt.Errorf("aspack: block outside image: %w", errASPack)
		}
		out := img[rva : int64(rva)+int64(bsize)]
		in := make([]byte, len(out)+0x10e)
		copy(in, out)
		if err := st.block(in, tables, out); err != nil {
			return err
		}
		// Blocks may decode over the same image again and again.
		if err := x.grow(int64(len(out))); err != nil {
			return err
		}
		if n == 0 {
			aspackUnfilter(out, img[ep+int64(v.callByte)])
		}
		rec += step
		if step == 12 {
			for {
				w, ok := u32(img, rec+4)
				if !ok || w != 0xfffffef2 { // size + 0x10E wraps to 0: skipped
					break
				}
				rec += 12
			}
		}
	}
	return x.emitImage(ctx, "aspack-image", img)
}

// aspackUnfilter turns the E8/E9 operands that ASPack made absolute (and
// tagged with mark in their first byte) back into relative ones.
func aspackUnfilter(b []byte, mark byte) {
	for i := 0; i+6 < len(b); i++ {
		if (b[i] == 0xe8 || b[i] == 0xe9) && b[i+1] == mark {
			t := bits.RotateLeft32(binary.LittleEndian.Uint32(b[i+1:])&0xffffff00, 24)
			binary.LittleEndian.PutUint32(b[i+1:], t-uint32(i))
			i += 4
		}
	}
}

// aspackCode is one canonical Huffman table: limits (d3) and first
// indices (d4) per code length, a lookup of lengths ≤ 8 by the top 8
// bits (ends) and the symbols in code order (starts).
type aspackCode struct {
	d3, d4 [24]uint32
	ends   [0x100]byte
	starts []uint32
}

type aspackStream struct {
	in     []byte
	pos    int
	bitpos uint32
	hash   uint32
	slot   [58]uint32
	codes  [4]aspackCode // literals/matches (721), lengths (28), distances (8), code lengths (19)
	dict   [757]byte
	lens   [758]byte
	dictOK bool
}

var errASData = fmt.Errorf("aspack: corrupt stream: %w", errASPack)

func (s *aspackStream) fill() bool {
	for s.bitpos >= 8 {
		if s.pos >= len(s.in) {
			return false
		}
		s.hash = s.hash<<8 | uint32(s.in[s.pos])
		s.pos++
		s.bitpos -= 8
	}
	return true
}

// peek returns the next 24 bits, left-aligned in the low 24.
func (s *aspackStream) peek() uint32 { return s.hash >> (8 - s.bitpos) & 0xffffff }

func (s *aspackStream) bits(n uint32) (uint32, error) {
	if n > 24 || !s.fill() {
		return 0, errASData
	}
	v := s.peek() >> (24 - n)
	s.bitpos += n
	return v, nil
}

func (s *aspackStream) sym(which int) (uint32, error) {
	c := &s.codes[which]
	if !s.fill() {
		return 0, errASData
	}
	v := s.peek() & 0xfffe00
	var pos uint32
	if v < c.d3[8] {
		pos = uint32(c.ends[v>>16])
		if pos == 0 || pos >= 24 {
			return 0, errASData
		}
	} else {
		pos = 15
		for p := uint32(9); p < 15; p++ {
			if v < c.d3[p] {
				pos = p
				break
			}
		}
	}
	s.bitpos += pos
	i := (v-c.d3[pos-1])>>(24-pos) + c.d4[pos]
	if i >= uint32(len(c.starts)) {
		return 0, errASData
	}
	return c.starts[i], nil
}

// build makes code which from the code lengths in lens.
func (s *aspackStream) build(which int, lens []byte) error {
	c := &s.codes[which]
	if len(c.starts) != len(lens) {
		c.starts = make([]uint32, len(lens))
	}
	var count, next [18]uint32
	for _, l := range lens {
		if l > 17 {
			return errASData
		}
		count[l]++
	}
	c.d3[0], c.d4[0] = 0, 0
	var sum, end uint32
	for i, shift := 0, 23; shift >= 9; i, shift = i+1, shift-1 {
		sum += count[i+1] << shift
		if sum > 0x1000000 {
			return errASData
		}
		c.d3[i+1] = sum
		c.d4[i+1] = count[i] + c.d4[i]
		next[i+1] = c.d4[i+1]
		if shift >= 16 {
			old := end
			end = sum >> 16
			if end < old || end > 0x100 {
				return errASData
			}
			for k := old; k < end; k++ {
				c.ends[k] = byte(i + 1)
			}
		}
	}
	if sum != 0x1000000 {
		return errASData
	}
	for i, l := range lens {
		if l == 0 {
			continue
		}
		if next[l] >= uint32(len(lens)) {
			return errASData
		}
		c.starts[next[l]] = uint32(i)
		next[l]++
	}
	return nil
}

// tables reads a new set of code lengths, delta-coded against the last.
func (s *aspackStream) tables() error {
	b, err := s.bits(1)
	if err != nil {
		return err
	}
	if b == 0 {
		s.dict = [757]byte{}
	}
	var cl [19]byte
	for i := range cl {
		v, err := s.bits(4)
		if err != nil {
			return err
		}
		cl[i] = byte(v)
	}
	if err := s.build(3, cl[:]); err != nil {
		return err
	}
	for n := 0; n < 757; {
		v, err := s.sym(3)
		if err != nil {
			return err
		}
		switch {
		case v < 16:
			s.lens[1+n] = (s.dict[n] + byte(v)) & 0xf
			n++
			continue
		case v == 16: // repeat the previous length 3-6 times
			r, err := s.bits(2)
			if err != nil {
				return err
			}
			for r += 3; r > 0 && n < 757; r, n = r-1, n+1 {
				s.lens[1+n] = s.lens[n]
			}
			continue
		}
		var r uint32
		if v == 17 { // 3-10 zeros
			r, err = s.bits(3)
			r += 3
		} else { // 11-138 zeros
			r, err = s.bits(7)
			r += 11
		}
		if err != nil {
			return err
		}
		for ; r > 0 && n < 757; r, n = r-1, n+1 {
			s.lens[1+n] = 0
		}
	}
	if err := s.build(0, s.lens[1:722]); err != nil {
		return err
	}
	if err := s.build(1, s.lens[722:750]); err != nil {
		return err
	}
	if err := s.build(2, s.lens[750:758]); err != nil {
		return err
	}
	s.dictOK = false
	for _, l := range s.lens[750:758] {
		if l != 3 {
			s.dictOK = true
		}
	}
	copy(s.dict[:], s.lens[1:])
	return nil
}

// block decodes len(out) bytes from in; t holds the stub's length-extra
// tables (0x00-0x1B base, 0x1C-0x37 bit counts) and distance bit counts
// (0x38-0x71).
func (s *aspackStream) block(in, t, out []byte) error {
	s.in, s.pos, s.bitpos = in, 0, 0x20
	for i := range s.codes {
		s.codes[i].d3, s.codes[i].d4 = [24]uint32{}, [24]uint32{}
	}
	s.dict = [757]byte{}
	if err := s.tables(); err != nil {
		return err
	}
	var hist [3]uint32
	size := uint32(len(out))
	for n := uint32(0); n < size; {
		g, err := s.sym(0)
		if err != nil {
			return err
		}
		if g < 256 {
			out[n] = byte(g)
			n++
			continue
		}
		if g >= 720 {
			if err := s.tables(); err != nil {
				return err
			}
			continue
		}
		slot, length := (g-256)>>3, (g-256)&7+2
		if length == 9 {
			g, err := s.sym(1)
			if err != nil || g >= 0x1c {
				return errASData
			}
			extra, err := s.bits(uint32(t[g+0x1c]))
			if err != nil {
				return err
			}
			length += uint32(t[g]) + extra
		}
		dist := s.slot[slot]
		nb := uint32(t[slot+0x38])
		if !s.dictOK || nb < 3 {
			v, err := s.bits(nb)
			if err != nil {
				return err
			}
			dist += v
		} else {
			v, err := s.bits(nb - 3)
			if err != nil {
				return err
			}
			low, err := s.sym(2)
			if err != nil {
				return err
			}
			dist += v*8 + low
		}
		var back uint32
		if dist < 3 {
			back = hist[dist]
			if dist != 0 {
				hist[dist] = hist[0]
				hist[0] = back
			}
		} else {
			back = dist - 3
			hist[2], hist[1], hist[0] = hist[1], hist[0], back
		}
		back++
		if back == 0 || back > n || length > size-n {
			return errASData
		}
		for range length {
			out[n] = out[n-back]
			n++
		}
	}
	return nil
}
