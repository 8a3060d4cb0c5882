package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// # yC 1.x
//
// yC encrypts a PE (often already UPX-packed) in place and appends its own
// last section; the entry point is that section's RVA + 0x60. Three stub
// variants are told apart by their code (ycStub), each giving a length and
// a skew of the stub's layout. Every byte is decrypted by the same short
// polymorphic routine (SUB/ADD/XOR/ROL/ROR of AL by constants or by CL,
// the count of bytes left, with junk jumps; ycDecrypt runs it): first the
// stub's second half (its routine at +0x93, the data at +0xC6), then every
// original section but the resources, relocations, exports, read-only
// data, imports and TLS (its routine at +0x457, or +0x3EA in the modified
// variant). The member is the decrypted file without the yC section, its
// section count and entry point (stored at +0xA0F) restored, which is
// scanned again (a UPX file then unpacks as such).

var errYC = errors.New("yc: malformed")

// ycRoutine is the length of yC's decryption routine.
const ycRoutine = 0x30

// ycStub returns the stub's skew and decryption length, or ok false when
// f is not yC-packed.
func ycStub(f *peFile) (skew int, length uint32, ok bool) {
	n := len(f.sections)
	if n < 2 || f.ep != f.sections[n-1].rva+0x60 {
		return 0, 0, false
	}
	ep := f.epCode(0x80)
	if len(ep) < 0x80 {
		return 0, 0, false
	}
	le := binary.LittleEndian
	w := func(i int) uint32 { return le.Uint32(ep[i:]) }
	switch {
	case bytes.HasPrefix(ep, []byte("\x55\x8b\xec\x53\x56\x57\x60\xe8\x00\x00\x00\x00\x5d\x81\xed")) &&
		bytes.HasPrefix(ep[0x26:], []byte("\x8d\x3a\x8b\xf7\x33\xc0\xeb\x04\x90\xeb\x01\xc2\xac")) &&
		ep[0x13] == 0xb9 && le.Uint16(ep[0x18:]) == 0xe981 && bytes.HasPrefix(ep[0x1e:], []byte("\x8b\xd5\x81\xc2")) &&
		0x6c-w(0xf)+w(0x22) == 0xc6: // yC 1.3
		skew, length = 0, w(0x14)-w(0x1a)
	case bytes.HasPrefix(ep, []byte("\x55\x8b\xec\x83\xec\x40\x53\x56\x57")) &&
		bytes.HasPrefix(ep[0x17:], []byte("\xe8\x00\x00\x00\x00\x5d\x81\xed")) && ep[0x23] == 0xb9 &&
		0x6c-w(0x1f)+w(0x32) == 0xc6: // a yC 1.3 variant
		skew, length = 0x10, w(0x24)-w(0x2a)
	case bytes.HasPrefix(ep, []byte("\x60\xe8\x00\x00\x00\x00\x5d\x81\xed")) && ep[0xd] == 0xb9 &&
		le.Uint16(ep[0x12:]) == 0xbd8d && bytes.HasPrefix(ep[0x18:], []byte("\x8b\xf7\xac")) &&
		0x66-w(0x9)+w(0x14) == 0xae: // yC 1.x, modified
		skew, length = -0x18, w(0xe)
	default:
		return 0, 0, false
	}
	if length <= 0x800 || length >= 0x2000 || !bytes.HasPrefix(ep[0x63+skew:], []byte("\xaa\xe2\xcc")) {
		return 0, 0, false
	}
	return skew, length, true
}

// ycKeep lists the section name prefixes yC leaves unencrypted.
var ycKeep = []string{"rsrc", ".rsr", "relo", ".rel", ".eda", ".rda", ".ida", ".tls", "yC"}

func extractYC(ctx context.Context, data []byte, x *run) error {
	f, err := parsePE(data)
	if err != nil {
		return errYC
	}
	skew, length, ok := ycStub(f)
	if !ok {
		return fmt.Errorf("yc: entry point not recognised: %w", errYC)
	}
	last := f.sections[len(f.sections)-1]
	stub := int64(last.rawOff) + int64(skew)
	if stub < 0 || stub+0xc6+int64(length) > int64(len(data)) || int64(last.rawSize) > int64(len(data)) {
		return fmt.Errorf("yc: stub outside file: %w", errYC)
	}
	out, err := x.alloc(int64(len(data)), "yc")
	if err != nil {
		return err
	}
	copy(out, data)
	if err := ycDecrypt(out, stub+0x93, out[stub+0xc6:stub+0xc6+int64(length)], length); err != nil {
		return err
	}
	routine := stub + 0x457
	if skew == -0x18 {
		routine = stub + 0x3ea
	}
	size := int64(len(data)) - int64(last.rawSize)
	for _, s := range f.sections[:len(f.sections)-1] {
		if err := x.check(ctx); err != nil {
			return err
		}
		if s.rawOff == 0 || s.rawSize == 0 || hasAnyPrefix(s.name, ycKeep) {
			continue
		}
		if int64(s.rawOff) >= size {
			return fmt.Errorf("yc: section %q outside file: %w", s.name, errYC)
		}
		code := out[s.rawOff:min(size, int64(s.rawOff)+int64(s.rawSize))]
		if err := ycDecrypt(out, routine, code, s.rawSize); err != nil {
			return err
		}
	}
	oep, ok := u32(out, stub+0xa0f)
	if !ok || size < int64(f.lfanew)+0x58 {
		return fmt.Errorf("yc: headers outside file: %w", errYC)
	}
	le := binary.LittleEndian
	coff := f.lfanew + 4
	le.PutUint16(out[coff+2:], uint16(len(f.sections)-1)) // NumberOfSections
	opt := coff + 20
	le.PutUint32(out[opt+16:], oep) // AddressOfEntryPoint
	le.PutUint32(out[opt+56:], le.Uint32(out[opt+56:])-last.vsize)
	if opt+0x70 <= len(out) {
		clear(out[opt+0x68 : opt+0x70]) // the import directory is yC's
	}
	return x.put(ctx, Entry{Name: "yc-decrypted", Data: out[:size:size]})
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ycDecrypt runs yC's decryption routine at offset r of img over code,
// with CL starting at the low byte of count and decreasing per byte.
// The routine is at most 0x30 bytes of SUB/ADD/XOR AL with an immediate
// or CL, DEC AL, ROL/ROR AL by an immediate or CL, NOP/CLC/STC and short
// jumps; anything else fails, and so does a routine that jumps more than
// it has bytes (a loop).
func ycDecrypt(img []byte, r int64, code []byte, count uint32) error {
	if r < 0 || r+ycRoutine > int64(len(img)) {
		return fmt.Errorf("yc: routine outside file: %w", errYC)
	}
	// The last instruction may run 2 bytes past the routine's 0x30.
	end := min(int64(len(img)), r+ycRoutine+2)
	rt := img[r:end:end]
	at := func(j int) (byte, error) {
		if j < 0 || j >= len(rt) {
			return 0, fmt.Errorf("yc: routine overrun: %w", errYC)
		}
		return rt[j], nil
	}
	cl := byte(count)
	for i := range code {
		al := code[i]
		jumps := 0
		for j := 0; j < ycRoutine; j++ {
			var arg byte
			var err error
			switch op := rt[j]; op {
			case 0xeb: // JMP short
				j++
				if arg, err = at(j); err != nil {
					return err
				}
				if jumps++; jumps > ycRoutine {
					return fmt.Errorf("yc: routine loops: %w", errYC)
				}
				j += int(int8(arg))
			case 0xfe: // DEC AL (FE C8)
				al--
				j++
			case 0x2a: // SUB AL, CL
				al -= cl
				j++
			case 0x02: // ADD AL, CL
				al += cl
				j++
			case 0x32: // XOR AL, CL
				al ^= cl
				j++
			case 0x04, 0x34, 0x2c: // ADD, XOR, SUB AL, imm8
				j++
				if arg, err = at(j); err != nil {
					return err
				}
				switch op {
				case 0x04:
					al += arg
				case 0x34:
					al ^= arg
				default:
					al -= arg
				}
			case 0xc0: // C0 C0 n: ROL AL, n; C0 C8 n: ROR AL, n
				if arg, err = at(j + 1); err != nil {
					return err
				}
				n, err := at(j + 2)
				if err != nil {
					return err
				}
				j += 2
				if arg == 0xc0 {
					al = bits.RotateLeft8(al, int(n&7))
				} else {
					al = bits.RotateLeft8(al, -int(n&7))
				}
			case 0xd2: // D2 C8: ROR AL, CL; D2 C0: ROL AL, CL
				if arg, err = at(j + 1); err != nil {
					return err
				}
				j++
				if arg == 0xc8 {
					al = bits.RotateLeft8(al, -int(cl&7))
				} else {
					al = bits.RotateLeft8(al, int(cl&7))
				}
				j++
			case 0x90, 0xf8, 0xf9: // NOP, CLC, STC
			default:
				return fmt.Errorf("yc: unknown opcode %#x: %w", op, errYC)
			}
			if j < -1 {
				return fmt.Errorf("yc: routine jumps out: %w", errYC)
			}
		}
		cl--
		code[i] = al
	}
	return nil
}
