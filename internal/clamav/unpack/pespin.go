package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// # PESpin 1.1
//
// The entry point lies in the last section, at least 0x321B bytes before
// its raw end, and its code has "E8 00 00 00 00 8B 1C 24 83 C3" at +4.
// Offsets below are from the entry point. The stub decrypts itself in
// layers, then the other sections:
//
//  1. 0x11FE bytes at +0x1FE5 XORed, last first, with a byte key (+0xDC)
//     that decreases per byte;
//  2. 0x5A0 bytes at +0x2D5 XORed with a right-shift LFSR (key at +0x26EB,
//     taps 0x8C328834);
//  3. the sections flagged in the bitmap at +0x3207 XORed with another LFSR
//     (taps 0xED43AF31) whose key is the word at +0x3217 minus a checksum
//     (spinSum) of the file up to the length at +0x429;
//  4. 0x180 bytes at +0x28D3 XORed with a third LFSR (key at +0x650, taps
//     0xED43AF32);
//  5. 0x1A1 bytes at +0x6D4 run through a 0x25-byte polymorphic routine
//     at +0x28EC (spinRun), then the sections flagged at +0x6F1 through
//     the one at +0x755;
//  6. the sections flagged at +0x3061 are aPLib-compressed.
//
// The member is the image of the original sections laid out by RVA.
// Compressed resources (+0x2FEE) are left as they are.

var errSpin = errors.New("pespin: malformed")

// spinEP is the code at EP+4: call $+5; mov ebx, [esp]; add ebx, ...
var spinEP = []byte{0xe8, 0, 0, 0, 0, 0x8b, 0x1c, 0x24, 0x83, 0xc3}

func isPESpin(f *peFile) bool {
	n := len(f.sections)
	if n < 2 {
		return false
	}
	last := f.sections[n-1]
	end := uint64(last.rva) + uint64(last.rawSize)
	if f.ep < last.rva || end < 0x321b || uint64(f.ep) >= end-0x321b {
		return false
	}
	ep := f.epCode(4 + len(spinEP))
	return len(ep) == 4+len(spinEP) && bytes.Equal(ep[4:], spinEP)
}

func extractPESpin(ctx context.Context, data []byte, x *run) error {
	f, err := parsePE(data)
	if err != nil || !isPESpin(f) {
		return fmt.Errorf("pespin: entry point not recognised: %w", errSpin)
	}
	secs, last := f.sections[:len(f.sections)-1], f.sections[len(f.sections)-1]
	if int64(last.rawOff)+int64(last.rawSize) > int64(len(data)) {
		return fmt.Errorf("pespin: stub section outside file: %w", errSpin)
	}
	var size int64
	for _, s := range secs {
		if int64(s.rawOff)+int64(s.rawSize) > int64(len(data)) {
			return fmt.Errorf("pespin: section %q outside file: %w", s.name, errSpin)
		}
		size = max(size, int64(s.rva)+int64(max(s.vsize, s.rawSize)))
	}
	file, err := x.alloc(int64(len(data)), "pespin")
	if err != nil {
		return err
	}
	copy(file, data)
	ep := int64(last.rawOff) + int64(f.ep-last.rva)
	le := binary.LittleEndian
	stub := file[ep:min(int64(len(file)), int64(last.rawOff)+int64(last.rawSize))]
	word := func(i int) uint32 { return le.Uint32(stub[i:]) }
	// Every offset read below lies before 0x321B (checked by isPESpin).
	if len(stub) < 0x321b || stub[0xdb] != 0xbb || stub[0xe0] != 0xb9 || word(0xe1) != 0x11fe {
		return fmt.Errorf("pespin: unknown version: %w", errSpin)
	}
	key8 := stub[0xdc]
	for i := 0x1fe5 + 0x11fe - 1; i >= 0x1fe5; i-- {
		stub[i] ^= key8
		key8--
	}
	if word(0x26f0) != 0x5a0 {
		return fmt.Errorf("pespin: unknown version: %w", errSpin)
	}
	spinLFSR(stub[0x2d5:0x2d5+0x5a0], word(0x26eb), 0x8c328834, true)
	sumLen := uint32(len(data)) - word(0x429)
	if sumLen >= uint32(len(data)) {
		return fmt.Errorf("pespin: checksum length: %w", errSpin)
	}
	key := word(0x3217) - spinSum(data[:sumLen])
	secData := func(s peSection) []byte { return file[s.rawOff : s.rawOff+s.rawSize] }
	bitmap := word(0x3207)
	for _, s := range secs {
		if bitmap&1 != 0 {
			spinLFSR(secData(s), key, 0xed43af31, false)
		}
		bitmap >>= 1
	}
	if word(0x644) != 0x180 {
		return fmt.Errorf("pespin: unknown version: %w", errSpin)
	}
	spinLFSR(stub[0x28d3:0x28d3+0x180], word(0x650), 0xed43af32, true)
	if word(0x28dd) != 0x1a1 {
		return fmt.Errorf("pespin: unknown version: %w", errSpin)
	}
	if err := spinRun(stub[0x6d4:0x6d4+0x1a1], stub[0x28ec:]); err != nil {
		return err
	}
	poly, packed := word(0x6f1), word(0x3061)
	for _, s := range secs {
		if err := x.check(ctx); err != nil {
			return err
		}
		if poly&1 != 0 {
			if err := spinRun(secData(s), stub[0x755:]); err != nil {
				return err
			}
		}
		poly >>= 1
	}
	img, err := x.alloc(size, "pespin")
	if err != nil {
		return err
	}
	for _, s := range secs {
		if err := x.check(ctx); err != nil {
			return err
		}
		if packed&1 == 0 {
			copy(img[s.rva:], secData(s))
		} else if s.vsize > 0 {
			if _, _, err := aplibInflate(secData(s), img[s.rva:int64(s.rva)+int64(s.vsize)]); err != nil {
				return fmt.Errorf("pespin: section %q: %w", s.name, err)
			}
		}
		packed >>= 1
	}
	return x.emitImage(ctx, "pespin-image", img)
}

// spinLFSR XORs b with the low byte of a right-shifting LFSR stepped
// before each byte; taps apply when the bit shifted out is odd (or even,
// when onOdd is false).
func spinLFSR(b []byte, key, taps uint32, onOdd bool) {
	for i := range b {
		odd := key&1 != 0
		key >>= 1
		if odd == onOdd {
			key ^= taps
		}
		b[i] ^= byte(key)
	}
}

// spinSum is PESpin's checksum of the file, which keys the section XOR.
func spinSum(b []byte) uint32 {
	eax, ebx := uint32(0xffffffff), uint32(0xffffffff)
	for _, c := range b {
		eax ^= uint32(c) << 8
		eax = eax >> 3 & 0x1fffffff
		for range 4 {
			eax ^= ebx >> 8 & 0xff
			eax += 0x7801a108
			eax ^= ebx
			eax = bits.RotateLeft32(eax, -int(ebx&31))
			eax, ebx = ebx, eax
		}
	}
	return ebx
}

// spinRun decrypts b in place with the 0x24-byte routine at the start of
// code (ADD/SUB/XOR AL with CL or an immediate, INC/DEC AL, ROL/ROR AL by
// an immediate, junk), CL being the count of bytes left. The routine must
// end exactly at 0x24, on STOSB (AA).
func spinRun(b, code []byte) error {
	const n = 0x24
	if len(code) < n+2 {
		return fmt.Errorf("pespin: routine outside section: %w", errSpin)
	}
	var rt [n + 2]byte
	copy(rt[:], code)
	// Check the routine once; its control flow does not depend on data.
	for pos := 0; pos < n; {
		switch rt[pos] {
		case 0xeb:
			pos += 3
		case 0x0a, 0x02, 0x2a, 0x04, 0x2c, 0x32, 0x34, 0xfe:
			pos += 2
		case 0x90, 0xf8, 0xf9:
			pos++
		case 0xc0:
			pos += 3
		default:
			return fmt.Errorf("pespin: unknown opcode %#x: %w", rt[pos], errSpin)
		}
		if pos > n || (pos == n && rt[n] != 0xaa) {
			return fmt.Errorf("pespin: bad routine: %w", errSpin)
		}
	}
	for i := range b {
		al, cl := b[i], byte(len(b)-i)
		for pos := 0; pos < n; {
			op, arg := rt[pos], rt[pos+1]
			switch op {
			case 0xeb:
				pos += 3
				continue
			case 0x90, 0xf8, 0xf9:
				pos++
				continue
			case 0x02:
				al += cl
			case 0x2a:
				al -= cl
			case 0x04:
				al += arg
			case 0x2c:
				al -= arg
			case 0x32:
				al ^= cl
			case 0x34:
				al ^= arg
			case 0xfe:
				if arg == 0xc0 {
					al++
				} else {
					al--
				}
			case 0xc0:
				if arg == 0xc0 {
					al = bits.RotateLeft8(al, int(rt[pos+2]&7))
				} else {
					al = bits.RotateLeft8(al, -int(rt[pos+2]&7))
				}
				pos++
			}
			pos += 2
		}
		b[i] = al
	}
	return nil
}
