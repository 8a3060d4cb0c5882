package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
)

// # RTF embedded objects
//
// Every {\object ...{\*\objdata HEX}} group holds an OLE1 object
// ([MS-OLEDS] 2.2.4, ObjectHeader + EmbeddedObject) written in hex: version
// and format (uint32 each), then the class, topic and item names as
// length-prefixed strings, then the native data length and bytes. When the
// class is "Package" the native data is a packager record (uint16 type,
// label, source path as C strings, two uint16s, a length-prefixed temp path,
// then a uint32 size and the file), and the file is the member. Otherwise
// the native data (often an OLE2 compound file) is the member; an object
// that does not parse is emitted as decoded hex.
func extractRTF(ctx context.Context, data []byte, x *run) error {
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte(`\objdata`))
		if i < 0 {
			return nil
		}
		start := off + i + len(`\objdata`)
		end := bytes.IndexByte(data[start:], '}')
		if end < 0 {
			end = len(data) - start
		}
		off = start + end
		obj := decodeHexLenient(data[start:start+end], 0)
		name, payload := parseOLE1(obj)
		if err := x.putRaw(ctx, name, payload); err != nil {
			return err
		}
	}
}

// ole1Reader walks the little-endian fields of an OLE1 object.
type ole1Reader struct {
	d   []byte
	bad bool
}

func (r *ole1Reader) u32() uint32 {
	if len(r.d) < 4 {
		r.bad = true
		return 0
	}
	v := binary.LittleEndian.Uint32(r.d)
	r.d = r.d[4:]
	return v
}

func (r *ole1Reader) u16() uint16 {
	if len(r.d) < 2 {
		r.bad = true
		return 0
	}
	v := binary.LittleEndian.Uint16(r.d)
	r.d = r.d[2:]
	return v
}

func (r *ole1Reader) bytes(n uint32) []byte {
	if uint64(n) > uint64(len(r.d)) {
		r.bad = true
		return nil
	}
	v := r.d[:n]
	r.d = r.d[n:]
	return v
}

func (r *ole1Reader) cstring() string {
	i := bytes.IndexByte(r.d, 0)
	if i < 0 {
		r.bad = true
		return ""
	}
	s := string(r.d[:i])
	r.d = r.d[i+1:]
	return s
}

// parseOLE1 returns the embedded file of an OLE1 object, or obj itself.
func parseOLE1(obj []byte) (string, []byte) {
	r := &ole1Reader{d: obj}
	r.u32() // OLEVersion
	r.u32() // FormatID: 2 embedded
	class := string(bytes.TrimRight(r.bytes(r.u32()), "\x00"))
	r.bytes(r.u32()) // topic
	r.bytes(r.u32()) // item
	native := r.bytes(r.u32())
	if r.bad {
		return "", obj
	}
	if class != "Package" {
		return class, native
	}
	p := &ole1Reader{d: native}
	p.u16()
	label := p.cstring()
	p.cstring() // source path
	p.u16()
	p.u16()
	p.bytes(p.u32()) // temp path
	file := p.bytes(p.u32())
	if p.bad {
		return class, native
	}
	return label, file
}
