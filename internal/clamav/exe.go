package clamav

import "encoding/binary"

// # Executable layout
//
// Offsets EP+n, Sx+n, SL+n and SEx, and the .mdb section hashes, need the
// entry point and the sections of a PE (Microsoft PE/COFF specification:
// e_lfanew at 0x3c, "PE\0\0", COFF header, optional header with
// AddressOfEntryPoint at +16, 40-byte section headers) or the entry point of
// an ELF (System V ABI: e_entry mapped through the PT_LOAD program headers).

type section struct {
	rva, vsize  uint32
	raw, rawLen int64
}

// exeInfo is what offset resolution needs to know about a file.
type exeInfo struct {
	ep       int64 // file offset of the entry point, -1 if none
	sections []section
}

// maxSections bounds a hostile NumberOfSections (PE/COFF allows 96).
const maxSections = 96

func parsePE(d []byte) (exeInfo, bool) {
	info := exeInfo{ep: -1}
	if len(d) < 0x40 || d[0] != 'M' || d[1] != 'Z' {
		return info, false
	}
	pe := int64(binary.LittleEndian.Uint32(d[0x3c:]))
	if pe+24 > int64(len(d)) || string(d[pe:pe+4]) != "PE\x00\x00" {
		return info, false
	}
	nsec := int(binary.LittleEndian.Uint16(d[pe+6:]))
	optSize := int64(binary.LittleEndian.Uint16(d[pe+20:]))
	opt := pe + 24
	if nsec > maxSections || opt+optSize > int64(len(d)) || optSize < 20 {
		return info, false
	}
	epRVA := binary.LittleEndian.Uint32(d[opt+16:])
	sh := opt + optSize
	for i := 0; i < nsec; i++ {
		o := sh + int64(i)*40
		if o+40 > int64(len(d)) {
			break
		}
		s := section{
			vsize:  binary.LittleEndian.Uint32(d[o+8:]),
			rva:    binary.LittleEndian.Uint32(d[o+12:]),
			rawLen: int64(binary.LittleEndian.Uint32(d[o+16:])),
			raw:    int64(binary.LittleEndian.Uint32(d[o+20:])),
		}
		info.sections = append(info.sections, s)
	}
	info.ep = rvaToOffset(info.sections, epRVA)
	return info, true
}

func rvaToOffset(secs []section, rva uint32) int64 {
	for _, s := range secs {
		size := max(s.vsize, uint32(s.rawLen))
		if rva >= s.rva && rva-s.rva < size {
			off := s.raw + int64(rva-s.rva)
			if off-s.raw >= s.rawLen {
				return -1
			}
			return off
		}
	}
	if len(secs) == 0 || rva < secs[0].rva {
		return int64(rva) // inside the headers
	}
	return -1
}

func parseELF(d []byte) (exeInfo, bool) {
	info := exeInfo{ep: -1}
	if len(d) < 52 || string(d[:4]) != "\x7fELF" {
		return info, false
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if d[5] == 2 {
		bo = binary.BigEndian
	}
	is64 := d[4] == 2
	var entry, phoff uint64
	var phentsize, phnum uint64
	if is64 {
		if len(d) < 64 {
			return info, false
		}
		entry, phoff = bo.Uint64(d[24:]), bo.Uint64(d[32:])
		phentsize, phnum = uint64(bo.Uint16(d[54:])), uint64(bo.Uint16(d[56:]))
	} else {
		entry, phoff = uint64(bo.Uint32(d[24:])), uint64(bo.Uint32(d[28:]))
		phentsize, phnum = uint64(bo.Uint16(d[42:])), uint64(bo.Uint16(d[44:]))
	}
	for i := uint64(0); i < min(phnum, 64); i++ {
		o := phoff + i*phentsize
		if phentsize < 32 || o+phentsize > uint64(len(d)) || o < phoff {
			break
		}
		var typ, off, vaddr, filesz uint64
		typ = uint64(bo.Uint32(d[o:]))
		if is64 {
			off, vaddr, filesz = bo.Uint64(d[o+8:]), bo.Uint64(d[o+16:]), bo.Uint64(d[o+32:])
		} else {
			off, vaddr, filesz = uint64(bo.Uint32(d[o+4:])), uint64(bo.Uint32(d[o+8:])), uint64(bo.Uint32(d[o+16:]))
		}
		if typ == 1 && entry >= vaddr && entry-vaddr < filesz {
			info.ep = int64(off + entry - vaddr)
			break
		}
	}
	return info, true
}
