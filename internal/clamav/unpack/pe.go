package unpack

import (
	"encoding/binary"
	"errors"
)

// # PE sections
//
// Just enough of the PE/COFF layout for the packers: the DOS header's
// e_lfanew (0x3C) points at "PE\0\0", the COFF header (section count at
// +6, optional header size at +20), the optional header (entry point RVA at
// +16, image base at +28 for PE32), then 40-byte section headers (name,
// virtual size, RVA, raw size, raw offset).

var errPE = errors.New("pe: malformed")

type peSection struct {
	name                        string
	vsize, rva, rawSize, rawOff uint32
}

type peFile struct {
	d        []byte
	ep, base uint32
	sections []peSection
	lfanew   int // offset of "PE\0\0"
}

func parsePE(d []byte) (*peFile, error) {
	le := binary.LittleEndian
	if len(d) < 0x40 || string(d[:2]) != "MZ" {
		return nil, errPE
	}
	pe := int(le.Uint32(d[0x3c:]))
	if pe < 0 || pe+24 > len(d) || string(d[pe:pe+4]) != "PE\x00\x00" {
		return nil, errPE
	}
	nsec := int(le.Uint16(d[pe+6:]))
	optSize := int(le.Uint16(d[pe+20:]))
	opt := pe + 24
	if opt+32 > len(d) {
		return nil, errPE
	}
	f := &peFile{d: d, ep: le.Uint32(d[opt+16:]), base: le.Uint32(d[opt+28:]), lfanew: pe}
	sh := opt + optSize
	for i := 0; i < nsec && i < 96; i++ {
		s := sh + 40*i
		if s+40 > len(d) {
			return nil, errPE
		}
		name := d[s : s+8]
		for j, c := range name {
			if c == 0 {
				name = name[:j]
				break
			}
		}
		f.sections = append(f.sections, peSection{string(name), le.Uint32(d[s+8:]), le.Uint32(d[s+12:]),
			le.Uint32(d[s+16:]), le.Uint32(d[s+20:])})
	}
	return f, nil
}

// fileOffset maps an RVA to a file offset through the section table.
func (f *peFile) fileOffset(rva uint32) (int, bool) {
	for _, s := range f.sections {
		if rva >= s.rva && rva-s.rva < max(s.vsize, s.rawSize) {
			off := int64(s.rawOff) + int64(rva-s.rva)
			if off < int64(len(f.d)) && rva-s.rva < s.rawSize {
				return int(off), true
			}
		}
	}
	return 0, false
}
