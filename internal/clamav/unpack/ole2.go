package unpack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// # OLE2 compound files
//
// [MS-CFB]: a 512-byte header (sector shift at 0x1E, mini sector shift at
// 0x20, first directory sector 0x30, mini stream cutoff 0x38, first mini
// FAT sector 0x3C, first DIFAT sector 0x44 and count 0x48, then the first
// 109 DIFAT entries) over sectors of 1<<shift bytes, sector n at
// (n+1)<<shift. The DIFAT lists the FAT sectors; the FAT chains sectors
// (0xFFFFFFFE ends a chain). Directory entries are 128 bytes: UTF-16 name,
// type (2 stream, 5 root), start sector, size. Streams under the cutoff
// (4096) live in the mini stream (the root entry's chain) in 64-byte mini
// sectors chained by the mini FAT. Every stream is a member; embedded
// packager objects (\x01Ole10Native) also yield their file, PowerPoint
// streams their compressed embedded objects (ppt.go), VBA module streams
// their decompressed source (vba.go). Chains are walked at most as many
// steps as the file has sectors, so a looping chain yields no more than the
// file's size.

var errOLE2 = errors.New("ole2: corrupt")

const (
	oleEndOfChain = 0xfffffffe
	oleMaxSectors = 1 << 22 // 2 GiB of 512-byte sectors: more is not a real file
)

type ole2 struct {
	d          []byte
	shift      uint
	miniShift  uint
	fat, mfat  []uint32
	ministream []byte
	cutoff     int64
}

func (o *ole2) sector(n uint32) []byte {
	start := (int64(n) + 1) << o.shift
	end := start + 1<<o.shift
	if start < 0 || end > int64(len(o.d)) {
		return nil
	}
	return o.d[start:end]
}

// chain concatenates a FAT chain from start, at most limit bytes.
func (o *ole2) chain(start uint32, limit int64) []byte {
	var out []byte
	maxSteps := len(o.d) >> o.shift // a chain longer than the file has sectors is a loop
	for n, steps := start, 0; n < uint32(len(o.fat)) && steps <= maxSteps && int64(len(out)) < limit; steps++ {
		s := o.sector(n)
		if s == nil {
			break
		}
		out = append(out, s...)
		n = o.fat[n]
	}
	return out[:min(int64(len(out)), limit)]
}

func (o *ole2) miniChain(start uint32, size int64) []byte {
	var out []byte
	ms := int64(1) << o.miniShift
	maxSteps := len(o.ministream) >> o.miniShift
	for n, steps := start, 0; n < uint32(len(o.mfat)) && steps <= maxSteps && int64(len(out)) < size; steps++ {
		off := int64(n) * ms
		if off+ms > int64(len(o.ministream)) {
			break
		}
		out = append(out, o.ministream[off:off+ms]...)
		n = o.mfat[n]
	}
	return out[:min(int64(len(out)), size)]
}

func u32s(b []byte) []uint32 {
	out := make([]uint32, len(b)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

func openOLE2(d []byte) (*ole2, error) {
	if len(d) < 512 {
		return nil, errOLE2
	}
	le := binary.LittleEndian
	o := &ole2{d: d, shift: uint(le.Uint16(d[0x1e:])), miniShift: uint(le.Uint16(d[0x20:]))}
	if o.shift < 7 || o.shift > 16 || o.miniShift > o.shift {
		return nil, fmt.Errorf("sector shift %d: %w", o.shift, errOLE2)
	}
	o.cutoff = int64(le.Uint32(d[0x38:]))
	difat := u32s(d[0x4c:512])
	next, ndifat := le.Uint32(d[0x44:]), int(le.Uint32(d[0x48:]))
	for i := 0; i < ndifat && i < oleMaxSectors && next < oleEndOfChain; i++ {
		s := o.sector(next)
		if s == nil {
			break
		}
		ids := u32s(s)
		difat = append(difat, ids[:len(ids)-1]...)
		next = ids[len(ids)-1]
	}
	nfat := min(int(le.Uint32(d[0x2c:])), len(difat), len(d)>>o.shift)
	for _, id := range difat[:nfat] {
		if s := o.sector(id); s != nil {
			o.fat = append(o.fat, u32s(s)...)
		}
	}
	o.mfat = u32s(o.chain(le.Uint32(d[0x3c:]), int64(len(d))))
	return o, nil
}

type oleEntry struct {
	name  string
	typ   byte
	start uint32
	size  int64
}

func parseOLEDir(dir []byte) []oleEntry {
	var out []oleEntry
	for off := 0; off+128 <= len(dir); off += 128 {
		e := dir[off : off+128]
		nl := min(int(binary.LittleEndian.Uint16(e[64:])), 64)
		u := make([]uint16, 0, 32)
		for i := 0; i+1 < nl; i += 2 {
			if c := binary.LittleEndian.Uint16(e[i:]); c != 0 {
				u = append(u, c)
			}
		}
		out = append(out, oleEntry{string(utf16.Decode(u)), e[66], binary.LittleEndian.Uint32(e[116:]),
			int64(binary.LittleEndian.Uint32(e[120:]))})
	}
	return out
}

func extractOLE2(ctx context.Context, data []byte, x *run) error {
	o, err := openOLE2(data)
	if err != nil {
		return err
	}
	entries := parseOLEDir(o.chain(binary.LittleEndian.Uint32(data[0x30:]), int64(len(data))))
	if len(entries) == 0 || entries[0].typ != 5 {
		return fmt.Errorf("no root entry: %w", errOLE2)
	}
	o.ministream = o.chain(entries[0].start, entries[0].size)
	for _, e := range entries[1:] {
		if err := x.check(ctx); err != nil {
			return err
		}
		if e.typ != 2 {
			continue
		}
		if e.size > x.fileCap() {
			return &LimitError{Limit: "MaxFileSize", Detail: e.name}
		}
		var b []byte
		if e.size < o.cutoff {
			b = o.miniChain(e.start, e.size)
		} else {
			b = o.chain(e.start, e.size)
		}
		if err := x.putRaw(ctx, e.name, b); err != nil {
			return err
		}
		if err := x.oleEmbedded(ctx, e.name, b); err != nil {
			return err
		}
		if err := x.vbaSource(ctx, e.name, b); err != nil {
			return err
		}
	}
	return nil
}

// oleEmbedded emits files hidden one encoding deeper in known streams.
func (x *run) oleEmbedded(ctx context.Context, name string, b []byte) error {
	switch name {
	case "\x01Ole10Native":
		// [MS-OLEDS] 2.3.6: a uint32 size, then the packager record.
		if len(b) < 4 {
			return nil
		}
		p := &ole1Reader{d: b[4:]}
		p.u16()
		label := p.cstring()
		p.cstring()
		p.u16()
		p.u16()
		p.bytes(p.u32())
		if file := p.bytes(p.u32()); !p.bad {
			return x.putRaw(ctx, label, file)
		}
	case "PowerPoint Document":
		return x.pptObjects(ctx, b)
	}
	return nil
}
