package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
)

// # Embedded executables
//
// Droppers, installers and unpacked images carry whole PE files inside
// them. Every "MZ" after offset 0 whose e_lfanew leads to "PE\0\0" is cut
// out with the size its own headers declare: the end of the section table
// or of the furthest section's raw data (offset rounded down to the file
// alignment, as the Windows loader does), whichever is further, capped at
// the data available. A PE file as such is a container of these (kind
// "pe"); UPX and other packers' images are searched the same way after
// unpacking (pepack.go). A PE
// that is an NSIS installer also yields its blocks (nsis.go), a compiled
// AutoIt script its files (autoit.go), an InstallShield setup its files
// (ishield.go).

// peCarveMax bounds how many embedded executables one file yields.
const peCarveMax = 64

func extractPE(ctx context.Context, data []byte, x *run) error {
	if err := x.unpackPE(ctx, data); err != nil {
		return err
	}
	if err := x.autoit(ctx, data); err != nil {
		return err
	}
	if err := x.ishield(ctx, data); err != nil {
		return err
	}
	if err := x.nsis(ctx, data); err != nil {
		return err
	}
	return x.carvePE(ctx, data, 1)
}

// carvePE emits the executables embedded in d at offsets ≥ from.
func (x *run) carvePE(ctx context.Context, d []byte, from int) error {
	found := 0
	for off := from; off < len(d) && found < peCarveMax; off++ {
		i := bytes.Index(d[off:], []byte("MZ"))
		if i < 0 {
			return nil
		}
		off += i
		size := peImageSize(d[off:])
		if size == 0 {
			continue
		}
		if err := x.check(ctx); err != nil {
			return err
		}
		found++
		if err := x.putRaw(ctx, "embedded-pe", d[off:off+size:off+size]); err != nil {
			return err
		}
		off += size - 1
	}
	return nil
}

// peImageSize returns the on-disk size a PE at the start of d declares, or
// 0 when d does not start with a plausible PE.
func peImageSize(d []byte) int {
	le := binary.LittleEndian
	if len(d) < 0x40 || d[0] != 'M' || d[1] != 'Z' {
		return 0
	}
	pe := int(le.Uint32(d[0x3c:]))
	if pe < 0x40 || pe > 4096 || pe+24 > len(d) || string(d[pe:pe+4]) != "PE\x00\x00" {
		return 0
	}
	nsec, optSize := int(le.Uint16(d[pe+6:])), int(le.Uint16(d[pe+20:]))
	opt := pe + 24
	table := opt + optSize
	end := table + 40*nsec
	if nsec == 0 || nsec > 96 || opt+40 > len(d) || end > len(d) {
		return 0
	}
	align := int64(le.Uint32(d[opt+36:]))
	if align < 512 || align&(align-1) != 0 {
		align = 512
	}
	size := int64(end)
	for s := table; s < end; s += 40 {
		raw, rawOff := int64(le.Uint32(d[s+16:])), int64(le.Uint32(d[s+20:]))
		if raw > 0 {
			size = max(size, rawOff&^(align-1)+raw)
		}
	}
	return int(min(size, int64(len(d))))
}
