package unpack

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
)

// # PowerPoint embedded objects
//
// [MS-PPT] 2.3.1: the "PowerPoint Document" stream is a tree of records,
// each with an 8-byte header (u16 version (low 4 bits) and instance, u16
// type, u32 length); version 0xF marks a container whose body is more
// records. ExOleObjStg (type 0x1011) holds an embedded OLE object, with
// instance 1 compressed: a u32 uncompressed size then a zlib stream. The
// object (usually an OLE2 file) is a member.

const pptExOleObjStg = 0x1011

func (x *run) pptObjects(ctx context.Context, b []byte) error {
	for off := 0; off+8 <= len(b); {
		if err := x.check(ctx); err != nil {
			return err
		}
		verInst := binary.LittleEndian.Uint16(b[off:])
		typ := binary.LittleEndian.Uint16(b[off+2:])
		n := int64(binary.LittleEndian.Uint32(b[off+4:]))
		body := int64(off + 8)
		if verInst&0xf == 0xf { // container: walk into it
			off = int(body)
			continue
		}
		end := min(body+n, int64(len(b)))
		if typ == pptExOleObjStg {
			if err := x.pptObject(ctx, b[body:end], verInst>>4 == 1); err != nil {
				return err
			}
		}
		off = int(end)
	}
	return nil
}

func (x *run) pptObject(ctx context.Context, rec []byte, compressed bool) error {
	if !compressed {
		return x.putRaw(ctx, "ExOleObjStg", rec)
	}
	if len(rec) < 4 {
		return nil
	}
	hint := int64(binary.LittleEndian.Uint32(rec))
	zr, err := zlib.NewReader(bytes.NewReader(rec[4:]))
	if err != nil {
		return nil // QUIRK: a broken object is skipped, the stream itself was emitted
	}
	out, err := x.read(ctx, zr, hint)
	return x.putPartial(ctx, "ExOleObjStg", out, err)
}
