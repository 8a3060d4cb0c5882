package unpack

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
)

// # Symbian SIS (EPOC release 3-6 installers)
//
// Header fields used (little-endian): number of languages (u16 at 18),
// number of files (u16 at 20), options (u16 at 36; bit 3 = files stored
// uncompressed) and the file records pointer (u32 at 52). A file record is
// u32 type (0 simple, 1 multi-language; conditionals end the walk), u32 file
// type, u32 details, source name length+pointer, destination name
// length+pointer, then per language a length and a pointer (and, from
// release 6, the original length), then MIME length+pointer (release 6).
// Files are zlib streams unless the option says otherwise.

var errSIS = errors.New("sis: corrupt")

const sisNoCompress = 1 << 3

func extractSIS(ctx context.Context, data []byte, x *run) error {
	if len(data) < 68 {
		return errSIS
	}
	le := binary.LittleEndian
	v6 := le.Uint32(data[4:]) == 0x10003a12
	nlang, nfiles := int(le.Uint16(data[18:])), int(le.Uint16(data[20:]))
	compressed := le.Uint16(data[36:])&sisNoCompress == 0
	off := int64(le.Uint32(data[52:]))
	u32 := func(at int64) (int64, bool) {
		if at < 0 || at+4 > int64(len(data)) {
			return 0, false
		}
		return int64(le.Uint32(data[at:])), true
	}
	for range nfiles {
		rtype, ok := u32(off)
		if !ok || rtype > 1 {
			return nil
		}
		n := 1
		if rtype == 1 {
			n = nlang
		}
		if base := off + 28; base+int64(8*n) > int64(len(data)) { // keeps total work linear in the input
			return errSIS
		}
		dlen, _ := u32(off + 20)
		dptr, _ := u32(off + 24)
		name := sisName(data, dptr, dlen)
		base := off + 28
		for l := range n {
			size, ok1 := u32(base + int64(4*l))
			ptr, ok2 := u32(base + int64(4*(n+l)))
			if !ok1 || !ok2 || ptr+size > int64(len(data)) {
				return errSIS
			}
			if err := x.sisFile(ctx, name, data[ptr:ptr+size], compressed); err != nil {
				return err
			}
		}
		off = base + int64(8*n)
		if v6 {
			off += int64(4*n) + 8
		}
	}
	return nil
}

func (x *run) sisFile(ctx context.Context, name string, b []byte, compressed bool) error {
	if len(b) == 0 {
		return nil
	}
	if !compressed {
		return x.putRaw(ctx, name, b)
	}
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return x.putRaw(ctx, name, b) // QUIRK: stored despite the header, scan as is
	}
	out, err := x.read(ctx, zr, -1)
	return x.putPartial(ctx, name, out, err)
}

// sisName decodes the UTF-16LE destination name, if it is in range.
func sisName(d []byte, ptr, n int64) string {
	if ptr < 0 || n <= 0 || ptr+n > int64(len(d)) {
		return ""
	}
	var s []rune
	for i := ptr; i+1 < ptr+n; i += 2 {
		s = append(s, rune(binary.LittleEndian.Uint16(d[i:])))
	}
	return string(s)
}
