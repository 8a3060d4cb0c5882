package unpack

import (
	"context"
	"errors"
	"fmt"
)

// # Petite 2.x
//
// The entry point is "B8 imm32" (mov eax, VA) naming the last section
// (Petite 2.2) or the one before it (2.1). The image (all sections laid
// out by RVA, from the lowest RVA to the furthest raw end) holds a table
// at that section's RVA + 0x1B8 (2.1: + 0x178) of records:
//
//   - word 0: the end of the table;
//   - word with bit 31 set: n = low 31 bits, then src, dst: n dwords
//     ending at src are moved to end at dst (12 bytes);
//   - any other word w: a compressed section: size, rva, one unused word
//     (16 bytes); its stream starts at RVA w.
//
// The stream is an NRV-like LZ77 (petiteInflate). Level-zero files
// (dword 0x163C988D at EP+0x80) are not compressed this way and are left
// alone, as ClamAV does.

var errPetite = errors.New("petite: malformed")

// petiteMaxRecords bounds the table walk: ClamAV stops at 96 sections.
const petiteMaxRecords = 4096

// petiteVersion returns 2 (Petite 2.2), 1 (2.1) or 0 (not Petite).
func petiteVersion(f *peFile) int {
	ep := f.epCode(0x84)
	n := len(f.sections)
	if len(ep) < 0x84 || ep[0] != 0xb8 {
		return 0
	}
	if w, _ := u32(ep, 0x80); w == 0x163c988d { // level zero
		return 0
	}
	va, _ := u32(ep, 1)
	switch {
	case va == f.sections[n-1].rva+f.base:
		return 2
	case n >= 2 && va == f.sections[n-2].rva+f.base:
		return 1
	}
	return 0
}

func extractPetite(ctx context.Context, data []byte, x *run) error {
	f, err := parsePE(data)
	if err != nil || len(f.sections) == 0 {
		return errPetite
	}
	version := petiteVersion(f)
	if version == 0 {
		return fmt.Errorf("petite: entry point not recognised: %w", errPetite)
	}
	lo, hi := uint32(1<<32-1), uint32(0)
	for _, s := range f.sections {
		lo = min(lo, s.rva)
		if end := uint64(s.rva) + uint64(s.rawSize); end > uint64(hi) {
			hi = uint32(min(end, 1<<32-1))
		}
	}
	if hi <= lo {
		return errPetite
	}
	img, err := x.alloc(int64(hi-lo), "petite")
	if err != nil {
		return err
	}
	for _, s := range f.sections {
		if raw := f.rawData(s); len(raw) > 0 {
			copy(img[s.rva-lo:], raw)
		}
	}
	last := f.sections[len(f.sections)-1]
	table := int64(last.rva) - int64(lo) + 0x1b8
	if version == 1 {
		last = f.sections[len(f.sections)-2]
		table = int64(last.rva) - int64(lo) + 0x178
	}
	if err := petiteInflate(ctx, x, img, int64(lo), table); err != nil {
		return err
	}
	return x.emitImage(ctx, "petite-image", img)
}

// petiteInflate walks the record table at offset t of img (whose byte 0
// is at RVA lo) and decodes every section in place.
func petiteInflate(ctx context.Context, x *run, img []byte, lo, t int64) error {
	at := func(rva uint32) int64 { return int64(rva) - lo }
	sections := 0
	for rec := 0; rec < petiteMaxRecords; rec++ {
		if err := x.check(ctx); err != nil {
			return err
		}
		w, ok := u32(img, t)
		if !ok {
			return fmt.Errorf("petite: table outside image: %w", errPetite)
		}
		if w == 0 {
			if sections == 0 {
				return fmt.Errorf("petite: no sections: %w", errPetite)
			}
			return nil
		}
		src, ok1 := u32(img, t+4)
		dst, ok2 := u32(img, t+8)
		if !ok1 || !ok2 {
			return errPetite
		}
		if w&0x80000000 != 0 {
			n := int64(w&0x7fffffff) * 4
			s, d := at(src)-n+4, at(dst)-n+4
			if s < 0 || d < 0 || s+n > int64(len(img)) || d+n > int64(len(img)) {
				return fmt.Errorf("petite: move outside image: %w", errPetite)
			}
			copy(img[d:d+n], img[s:s+n])
			t += 12
			continue
		}
		// src is the section's size here, dst its RVA.
		t += 16
		sections++
		if src == 0 {
			continue
		}
		if err := petiteSection(img, at(w), at(dst), int64(src)); err != nil {
			return err
		}
		// Records may decode over the same image again and again.
		if err := x.grow(int64(src)); err != nil {
			return err
		}
	}
	return fmt.Errorf("petite: too many records: %w", errPetite)
}

// petiteSection decodes size bytes from the stream at s to d, both in img.
// Literals are XORed with the low byte of the count still to produce;
// matches carry a biased negative offset whose width depends on the
// section size, and a length grown by 1-3 for far offsets.
func petiteSection(img []byte, s, d, size int64) error {
	if s < 0 || d < 0 || s >= int64(len(img)) || d >= int64(len(img)) {
		return fmt.Errorf("petite: section outside image: %w", errPetite)
	}
	var check1, check2 int64 = -0x3fa0, -0x3a0 // 0xFFFFC060, 0xFFFFFC60
	goback := 5
	switch {
	case size >= 0x40000:
		check1, check2, goback = -0x7d00, -0x500, 8
	case size >= 0x10000:
		check1, check2, goback = -0x7e80, -0x680, 7
	}
	var dl byte
	bit := func() (int64, error) {
		old := dl
		dl <<= 1
		if old&0x7f == 0 {
			if s >= int64(len(img)) {
				return 0, fmt.Errorf("petite: stream overrun: %w", errPetite)
			}
			old = img[s]
			dl = old<<1 | 1
			s++
		}
		return int64(old >> 7), nil
	}
	// gamma reads Elias-gamma-like bits into v until a 0 continuation bit.
	gamma := func(v int64) (int64, error) {
		for v < 1<<31 {
			b, err := bit()
			if err != nil {
				return 0, err
			}
			v = v*2 + b
			if c, err := bit(); err != nil || c == 0 {
				return v, err
			}
		}
		return 0, fmt.Errorf("petite: length overflow: %w", errPetite)
	}
	img[d] = img[s]
	d, s, size = d+1, s+1, size-1
	var oldback int64
	for size > 0 {
		b, err := bit()
		if err != nil {
			return err
		}
		if b == 0 {
			if s >= int64(len(img)) || d >= int64(len(img)) {
				return fmt.Errorf("petite: literal outside image: %w", errPetite)
			}
			img[d] = img[s] ^ byte(size)
			d, s, size = d+1, s+1, size-1
			continue
		}
		back, err := gamma(1)
		if err != nil {
			return err
		}
		back -= 3
		var length, add int64
		if back >= 0 {
			for range goback {
				b, err := bit()
				if err != nil {
					return err
				}
				back = back*2 + b
			}
			back = ^back // a negative distance
			add = 1
			if back < check2 {
				add++
			}
			if back < check1 {
				add++
			}
			oldback = back
		} else {
			length, back = back+1, oldback
		}
		for range 2 {
			b, err := bit()
			if err != nil {
				return err
			}
			length = length*2 + b
		}
		if length == 0 {
			if length, err = gamma(1); err != nil {
				return err
			}
			length += 2
		}
		length += add
		if length > size || back >= 0 || d+back < 0 || d+length > int64(len(img)) {
			return fmt.Errorf("petite: match outside image: %w", errPetite)
		}
		for i := range length {
			img[d+i] = img[d+back+i]
		}
		d += length
		size -= length
	}
	return nil
}
