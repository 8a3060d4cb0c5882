package unpack

import (
	"context"
	"errors"
	"fmt"
)

// # MEW 11
//
// A MEW file has an empty section (no raw data) followed by one holding
// the stub and the packed data; its entry point is "E9 rel32", a jump to
// RVA 0x154 or 0x158 in the headers, where "BE imm32" (mov esi, VA)
// points into the second section at a descriptor: unused word, old entry
// point VA, first destination VA, then the first stream. The image spans
// both sections (the empty one first) with the second's raw data at its
// end. Each stream is aPLib (aplibInflate) and is followed by the VA of
// the next destination, or 0 after the last. Files whose stub calls an
// LZMA routine (E8 at +0x7B of the jump target) are not unpacked.

var errMEW = errors.New("mew: malformed")

// mewMaxStreams bounds the stream chain.
const mewMaxStreams = 256

// mewStub returns the index of MEW's empty section, or -1 when f is not
// MEW-packed.
func mewStub(f *peFile) int {
	i := packedPair(f)
	ep := f.epCode(5)
	if i < 0 || len(ep) < 5 || ep[0] != 0xe9 {
		return -1
	}
	rel, _ := u32(ep, 1)
	if t := f.ep + rel + 5; t != 0x154 && t != 0x158 {
		return -1
	}
	return i
}

// packedPair finds the first section with no raw data followed by one
// with raw data (UPX, FSG and MEW leave the first to be filled in).
func packedPair(f *peFile) int {
	for i := 0; i+1 < len(f.sections); i++ {
		s, t := f.sections[i], f.sections[i+1]
		if s.rawSize == 0 && s.vsize != 0 && t.rawSize != 0 && t.vsize != 0 {
			return i
		}
	}
	return -1
}

func extractMEW(ctx context.Context, data []byte, x *run) error {
	f, err := parsePE(data)
	if err != nil {
		return errMEW
	}
	i := mewStub(f)
	if i < 0 {
		return fmt.Errorf("mew: entry point not recognised: %w", errMEW)
	}
	ep := f.epCode(5)
	rel, _ := u32(ep, 1)
	stub := int64(f.ep + rel + 5)
	if stub+0x80 > int64(len(data)) || data[stub] != 0xbe {
		return fmt.Errorf("mew: stub outside file: %w", errMEW)
	}
	if data[stub+0x7b] == 0xe8 {
		return fmt.Errorf("mew: LZMA variant not supported: %w", errMEW)
	}
	empty, packed := f.sections[i], f.sections[i+1]
	va, _ := u32(data, stub+1)
	desc := int64(va) - int64(f.base) - int64(packed.rva)
	raw := f.rawData(packed)
	if desc <= 0 || desc+12 > int64(len(raw)) || uint64(len(raw)) > uint64(packed.vsize) {
		return fmt.Errorf("mew: descriptor outside section: %w", errMEW)
	}
	dsize := int64(empty.vsize)
	img, err := x.alloc(dsize+int64(packed.vsize), "mew")
	if err != nil {
		return err
	}
	copy(img[dsize:], raw)
	// QUIRK: MEW addresses the image from section 0's RVA, as ClamAV
	// does, whatever the empty section's index.
	vma := int64(f.base) + int64(f.sections[0].rva)
	s := dsize + desc + 12
	next, _ := u32(img, dsize+desc+8)
	for n := 0; next != 0; n++ {
		if err := x.check(ctx); err != nil {
			return err
		}
		d := int64(next) - vma
		if n == mewMaxStreams || d < 0 || d >= int64(len(img)) || s >= int64(len(img)) {
			return fmt.Errorf("mew: stream %d outside image: %w", n, errMEW)
		}
		used, filled, err := aplibInflate(img[s:], img[d:])
		if err != nil {
			return fmt.Errorf("mew: stream %d: %w", n, err)
		}
		// Streams may decode over the same image again and again.
		if err := x.grow(int64(filled)); err != nil {
			return err
		}
		end := s + int64(used)
		var ok bool
		if next, ok = u32(img, end); !ok {
			return fmt.Errorf("mew: chain outside image: %w", errMEW)
		}
		s = end + 4
	}
	return x.emitImage(ctx, "mew-image", img)
}

// aplibInflate decodes the aPLib stream at the start of src into dst
// (matches reach back no further than dst[0]) and returns how much of src
// it used and of dst it filled. src and dst may share memory, as MEW's do.
func aplibInflate(src, dst []byte) (used, filled int, err error) {
	errAP := fmt.Errorf("aplib: corrupt stream: %w", errMEW)
	var s, d int
	if len(src) == 0 || len(dst) == 0 {
		return 0, 0, errAP
	}
	var tag byte = 0x80
	bit := func() (uint32, bool) {
		old := tag
		tag <<= 1
		if old&0x7f == 0 {
			if s >= len(src) {
				return 0, false
			}
			old = src[s]
			tag = old<<1 | 1
			s++
		}
		return uint32(old >> 7), true
	}
	gamma := func() (uint32, bool) {
		v := uint32(1)
		for {
			b, ok := bit()
			if !ok || v >= 1<<30 {
				return 0, false
			}
			v = v*2 + b
			if c, ok := bit(); !ok || c == 0 {
				return v, ok
			}
		}
	}
	dst[0] = src[0]
	d, s = 1, 1
	var back, length, oldback uint32
	lostbit := uint32(1)
	for {
		b, ok := bit()
		if !ok {
			return 0, 0, errAP
		}
		if b == 0 { // literal
			if s >= len(src) || d >= len(dst) {
				return 0, 0, errAP
			}
			dst[d] = src[s]
			d, s = d+1, s+1
			lostbit = 1
			continue
		}
		if b, ok = bit(); !ok {
			return 0, 0, errAP
		}
		if b == 0 { // gamma-coded match
			if length, ok = gamma(); !ok {
				return 0, 0, errAP
			}
			length = length - 1 - lostbit
			if length == 0 {
				if length, ok = gamma(); !ok {
					return 0, 0, errAP
				}
				back = oldback
			} else {
				if s >= len(src) || length >= 1<<23 {
					return 0, 0, errAP
				}
				back = uint32(src[s]) + (length-1)<<8
				s++
				if length, ok = gamma(); !ok {
					return 0, 0, errAP
				}
				if back >= 0x7d00 {
					length++
				}
				if back >= 0x500 {
					length++
				}
				if back <= 0x7f {
					length += 2
				}
				oldback = back
			}
			lostbit = 0
		} else if b, ok = bit(); !ok {
			return 0, 0, errAP
		} else if b == 1 { // 4-bit distance, one byte
			back = 0x10
			for back < 0x100 {
				b, ok := bit()
				if !ok {
					return 0, 0, errAP
				}
				back = back*2 + b
			}
			back &= 0xff
			lostbit = 1
			if back == 0 {
				if d >= len(dst) {
					return 0, 0, errAP
				}
				dst[d] = 0
				d++
				continue
			}
			length = 1
		} else { // 7-bit distance, 2-3 bytes, or the end
			if s >= len(src) {
				return 0, 0, errAP
			}
			length, back = 2+uint32(src[s]&1), uint32(src[s]>>1)
			s++
			if back == 0 {
				return s, d, nil
			}
			oldback = back
			lostbit = 0
		}
		if int(back) > d || int64(d)+int64(length) > int64(len(dst)) {
			return 0, 0, errAP
		}
		for range length {
			dst[d] = dst[d-int(back)]
			d++
		}
	}
}
