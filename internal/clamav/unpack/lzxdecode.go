package unpack

import (
	"context"
	"encoding/binary"
)

// lzxSlots is the number of position slots per window size (2^15..2^21).
var lzxSlots = map[uint32]int{15: 30, 16: 32, 17: 34, 18: 36, 19: 38, 20: 42, 21: 50}

// lzxDecode decodes total bytes of an LZX stream with the given window and
// reset interval (bytes; 0 = never).
func (x *run) lzxDecode(ctx context.Context, comp []byte, window, resetInterval uint32, total int64) ([]byte, error) {
	bits := uint32(15)
	for bits < 21 && 1<<bits < window {
		bits++
	}
	s := &lzxState{br: &lzxBits{d: comp}, slots: lzxSlots[bits]}
	s.mainLens = make([]uint8, 256+8*s.slots)
	s.lenLens = make([]uint8, 249)
	s.reset()
	out := make([]byte, 0, min(total, int64(len(comp))*4))
	resetFrames := int64(resetInterval / lzxFrame)
	counted := 0 // output already charged to the ratio
	for frame := int64(0); int64(len(out)) < total; frame++ {
		if err := x.check(ctx); err != nil {
			return out, err
		}
		if s.br.exhausted() {
			return out, errLZX
		}
		if resetFrames > 0 && frame%resetFrames == 0 {
			s.reset()
		}
		if !s.headerRead {
			if s.br.get(1) == 1 {
				s.e8Size = s.br.get(16)<<16 | s.br.get(16)
			} else {
				s.e8Size = 0
			}
			s.headerRead = true
		}
		end := min(frame*lzxFrame+lzxFrame, total)
		var err error
		if out, err = s.frame(out, end); err != nil {
			return out, err
		}
		if err := x.grow(int64(len(out) - counted)); err != nil {
			return out, err
		}
		counted = len(out)
		s.br.align16()
	}
	out = out[:min(int64(len(out)), total)]
	if s.e8Size != 0 {
		out = lzxE8(out, s.e8Size)
	}
	return out, nil
}

// frame decodes until out reaches end.
func (s *lzxState) frame(out []byte, end int64) ([]byte, error) {
	for int64(len(out)) < end {
		if s.br.exhausted() {
			return out, errLZX
		}
		if s.remaining <= 0 {
			if err := s.blockHeader(&out); err != nil {
				return out, err
			}
			continue
		}
		var err error
		before := len(out)
		if s.blockType == 3 {
			out, err = s.stored(out, end)
		} else {
			out, err = s.symbol(out)
		}
		if err != nil {
			return out, err
		}
		s.remaining -= int64(len(out) - before)
	}
	return out, nil
}

func (s *lzxState) blockHeader(out *[]byte) error {
	s.blockType = s.br.get(3)
	s.remaining = int64(s.br.get(16))<<8 | int64(s.br.get(8))
	switch s.blockType {
	case 2:
		var al [8]uint8
		for i := range al {
			al[i] = uint8(s.br.get(3))
		}
		if err := s.align.build(al[:]); err != nil {
			return err
		}
		fallthrough
	case 1:
		if err := s.readLengths(s.mainLens, 0, 256); err != nil {
			return err
		}
		if err := s.readLengths(s.mainLens, 256, len(s.mainLens)); err != nil {
			return err
		}
		if err := s.main.build(s.mainLens); err != nil {
			return err
		}
		if err := s.readLengths(s.lenLens, 0, 249); err != nil {
			return err
		}
		return s.length.build(s.lenLens)
	case 3:
		p := s.br.realign()
		if p+12 > len(s.br.d) {
			return errLZX
		}
		for i := range s.r {
			s.r[i] = binary.LittleEndian.Uint32(s.br.d[p+4*i:])
		}
		s.br.pos = p + 12
		return nil
	}
	return errLZX
}

// stored copies raw bytes of an uncompressed block, then skips its pad byte.
func (s *lzxState) stored(out []byte, end int64) ([]byte, error) {
	n := min(s.remaining, end-int64(len(out)))
	p := s.br.pos
	if p+int(n) > len(s.br.d) {
		return out, errLZX
	}
	out = append(out, s.br.d[p:p+int(n)]...)
	s.br.pos += int(n)
	if s.remaining == n && n%2 == 1 {
		s.br.pos++
	}
	return out, nil
}

func (s *lzxState) symbol(out []byte) ([]byte, error) {
	m, err := s.main.decodeLZX(s.br)
	if err != nil {
		return out, err
	}
	if m < 256 {
		return append(out, byte(m)), nil
	}
	m -= 256
	length := m & 7
	if length == 7 {
		l, err := s.length.decodeLZX(s.br)
		if err != nil {
			return out, err
		}
		length += l
	}
	length += 2
	slot := m >> 3
	var off uint32
	switch {
	case slot < 3:
		off = s.r[slot]
		s.r[slot] = s.r[0]
		s.r[0] = off
	default:
		extra := uint(lzxExtra[slot])
		off = lzxBase[slot] - 2
		if s.blockType == 2 && extra >= 3 {
			off += s.br.get(extra-3) << 3
			a, err := s.align.decodeLZX(s.br)
			if err != nil {
				return out, err
			}
			off += uint32(a)
		} else {
			off += s.br.get(extra)
		}
		s.r[2], s.r[1], s.r[0] = s.r[1], s.r[0], off
	}
	from := len(out) - int(off)
	if from < 0 || off == 0 {
		return out, errLZX
	}
	for k := range length {
		out = append(out, out[from+k])
	}
	return out, nil
}

// lzxE8 undoes the Intel call translation frame by frame (first 1 GiB only,
// frames over 10 bytes) on a copy: the window keeps the raw bytes.
func lzxE8(in []byte, size uint32) []byte {
	out := append([]byte(nil), in...)
	for f := 0; f < len(out) && f < 32768*lzxFrame; f += lzxFrame {
		frame := out[f:min(f+lzxFrame, len(out))]
		for i := 0; i < len(frame)-10; i++ {
			if frame[i] != 0xe8 {
				continue
			}
			abs := int32(binary.LittleEndian.Uint32(frame[i+1:]))
			cur := int32(f + i)
			if abs >= -cur && abs < int32(size) {
				rel := abs - cur
				if abs < 0 {
					rel = abs + int32(size)
				}
				binary.LittleEndian.PutUint32(frame[i+1:], uint32(rel))
			}
			i += 4
		}
	}
	return out
}
