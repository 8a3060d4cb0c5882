package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// # WWPack32
//
// The entry point is the start of the last section, whose code begins
// "53 55 8B E8 33 DB EB" and has a fixed call/pusha sequence at +0x68.
// The image is the headers and the other sections laid out by RVA; the
// packed data of each original section sits inside the image, and a list
// of 17-byte records at +0x2A1 of the last section's raw data says where:
// source delta (from the last section's RVA), unused, size in dwords, end
// offset, then a byte that is 0 after the last record. The data is
// decoded forward from where it starts, with a 32-bit MSB-first bit
// reader over little-endian dwords (wwpackDecode).

var errWWPack = errors.New("wwpack: malformed")

var (
	wwpackEP   = []byte{0x53, 0x55, 0x8b, 0xe8, 0x33, 0xdb, 0xeb}
	wwpackCall = []byte{0xe8, 0, 0, 0, 0, 0x58, 0x2d, 0x6d, 0, 0, 0, 0x50, 0x60, 0x33, 0xc9, 0x50, 0x58, 0x50, 0x50}
)

// wwpackRecords bounds the record walk (the records live in one section).
const wwpackRecords = 1024

func isWWPack(f *peFile) bool {
	n := len(f.sections)
	if n < 2 || f.ep != f.sections[n-1].rva {
		return false
	}
	ep := f.epCode(0x68 + len(wwpackCall))
	return len(ep) == 0x68+len(wwpackCall) && bytes.HasPrefix(ep, wwpackEP) && bytes.Equal(ep[0x68:], wwpackCall)
}

func extractWWPack(ctx context.Context, data []byte, x *run) error {
	f, err := parsePE(data)
	if err != nil || !isWWPack(f) {
		return fmt.Errorf("wwpack: entry point not recognised: %w", errWWPack)
	}
	last := f.sections[len(f.sections)-1]
	head, size := int64(last.rawOff), int64(0)
	for _, s := range f.sections[:len(f.sections)-1] {
		head = min(head, int64(s.rawOff))
		size = max(size, int64(s.rva)+int64(s.vsize))
	}
	if head == 0 || head > size || head > int64(len(data)) {
		return fmt.Errorf("wwpack: bad layout: %w", errWWPack)
	}
	img, err := x.alloc(size, "wwpack")
	if err != nil {
		return err
	}
	copy(img, data[:head])
	for _, s := range f.sections[:len(f.sections)-1] {
		if raw := f.rawData(s); len(raw) > 0 {
			if int64(s.rva)+int64(len(raw)) > size {
				return fmt.Errorf("wwpack: section outside image: %w", errWWPack)
			}
			copy(img[s.rva:], raw)
		}
	}
	packer := f.rawData(last)
	for r, rec := 0, 0x2a1; ; r++ {
		if err := x.check(ctx); err != nil {
			return err
		}
		if r == wwpackRecords || rec+17 > len(packer) {
			return fmt.Errorf("wwpack: records outside section: %w", errWWPack)
		}
		le := binary.LittleEndian
		src := int64(last.rva) - int64(le.Uint32(packer[rec:]))
		n := int64(le.Uint32(packer[rec+8:])) * 4
		start := src + int64(le.Uint32(packer[rec+12:])) + 4 - n
		if n == 0 || start < 0 || start+n > int64(len(img)) {
			return fmt.Errorf("wwpack: packed data outside image: %w", errWWPack)
		}
		packed := bytes.Clone(img[start : start+n])
		for i := range n {
			img[start+i] = 0xff
		}
		end, err := wwpackDecode(img, start, packed)
		if err != nil {
			return err
		}
		// Records may decode over the same image again and again.
		if err := x.grow(end - start); err != nil {
			return err
		}
		if packer[rec+16] == 0 {
			break
		}
		rec += 17
	}
	return x.emitImage(ctx, "wwpack-image", img)
}

// wwbits is WWPack's bit reader: dwords read little-endian, bits taken
// from the top. A read past the end sets err and yields zeros.
type wwbits struct {
	src []byte
	pos int
	bt  uint32
	bc  uint
	err bool
}

func (b *wwbits) reseed() {
	if b.pos+4 <= len(b.src) {
		b.bt = binary.LittleEndian.Uint32(b.src[b.pos:])
		b.pos += 4
	} else {
		b.err = true
	}
	b.bc = 32
}

func (b *wwbits) bits(n uint) uint32 {
	v := b.bt >> (32 - n)
	if b.bc >= n {
		b.bc -= n
		b.bt <<= n
		if b.bc == 0 {
			b.reseed()
		}
		return v
	}
	if b.pos+4 > len(b.src) {
		b.err = true
		return v
	}
	b.bt = binary.LittleEndian.Uint32(b.src[b.pos:])
	b.pos += 4
	b.bc += 32 - n
	v |= b.bt >> b.bc
	b.bt <<= 32 - b.bc
	return v
}

// wwpackDecode decodes src into img from offset d until the end code and
// returns where the output ended.
func wwpackDecode(img []byte, d int64, src []byte) (int64, error) {
	errData := fmt.Errorf("wwpack: corrupt stream: %w", errWWPack)
	b := &wwbits{src: src}
	b.reseed()
	n := int64(len(img))
	for !b.err {
		if b.bits(1) == 0 { // literal
			if b.pos >= len(src) || d >= n {
				return 0, errData
			}
			img[d] = src[b.pos]
			d, b.pos = d+1, b.pos+1
			continue
		}
		var back, length int64
		kind := b.bits(2)
		if kind == 3 { // two bytes from a short distance
			sel := b.bits(2)
			shift, sub := uint(sel)+5, int64(31)
			if sel >= 2 {
				shift++
				sub += 0x80
			}
			v := b.bits(shift)
			if b.err {
				return 0, errData
			}
			if v == 0x1ff {
				return d, nil // end of stream
			}
			back, length = int64(1)<<shift-sub+int64(v), 2
		} else {
			switch sel := b.bits(3); {
			case sel < 6:
				w := uint(sel)
				switch sel {
				case 4:
					w = 5 + 5 + uint(b.bits(1))
				case 3:
					w = 3 + 5 + uint(b.bits(1))
				case 5:
					w = 12
				default:
					w += 5
				}
				back = int64(b.bits(w)) + int64(1)<<w - 31
			case sel == 6:
				back = int64(b.bits(14)) + 0x1fe1
			default:
				back = int64(b.bits(15)) + 0x5fe1
			}
			if kind != 0 {
				length = int64(kind) + 2
			} else {
				length = wwpackLength(b)
			}
		}
		if b.err || back <= 0 || back > d || d+length > n {
			return 0, errData
		}
		for i := range length {
			img[d+i] = img[d-back+i]
		}
		d += length
	}
	return 0, errData
}

// wwpackLength reads the length of a match whose 2-bit kind was 0.
func wwpackLength(b *wwbits) int64 {
	if b.bits(1) == 0 {
		return int64(b.bits(1)) + 5
	}
	if v := b.bits(3); v != 0 {
		return int64(v) + 6
	}
	if v := b.bits(4); v != 0 {
		return int64(v) + 13
	}
	cnt, shifted := uint(4), int64(0x0d)
	for {
		if cnt == 7 {
			cnt, shifted = 0x0e, 0
			break
		}
		shifted = (shifted+2)<<1 - 1
		cnt++
		if b.bits(1) != 0 {
			break
		}
	}
	return int64(b.bits(cnt)) + shifted
}
