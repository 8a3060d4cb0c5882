package unpack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// # ARJ
//
// Robert Jung's ARJ: every header starts 60 EA, a u16 basic header size,
// the header (first_hdr_size, versions, host OS, flags (bit 0: garbled,
// i.e. encrypted), method, file type, reserved, time, compressed size,
// original size, CRC, ...), name and comment as C strings, a u32 CRC, then
// extended headers (u16 size + data + CRC until size 0). A zero basic size
// ends the archive. The first header is the archive's own; each later one is
// followed by its compressed data. Method 0 is stored; methods 1-3 share one
// static-Huffman LZ77 decoder (below); method 4 is not supported.

var errArj = errors.New("arj: corrupt")

const arjMaxHeader = 2600 // the format's own upper bound for a basic header

func extractArj(ctx context.Context, data []byte, x *run) error {
	off, first := 0, true
	for {
		if err := x.check(ctx); err != nil {
			return err
		}
		if off+4 > len(data) || data[off] != 0x60 || data[off+1] != 0xea {
			return fmt.Errorf("at %d: %w", off, errArj)
		}
		size := int(binary.LittleEndian.Uint16(data[off+2:]))
		if size == 0 {
			return nil
		}
		if size > arjMaxHeader || off+4+size+4 > len(data) {
			return errArj
		}
		h := data[off+4 : off+4+size]
		off += 4 + size + 4
		for off+2 <= len(data) { // extended headers
			n := int(binary.LittleEndian.Uint16(data[off:]))
			off += 2
			if n == 0 {
				break
			}
			off += n + 4
		}
		if first {
			first = false
			continue
		}
		if err := x.arjMember(ctx, h, data, &off); err != nil {
			return err
		}
	}
}

func (x *run) arjMember(ctx context.Context, h, data []byte, off *int) error {
	if len(h) < 30 {
		return errArj
	}
	fhs := int(h[0])
	flags, method := h[4], h[5]
	csize := int64(binary.LittleEndian.Uint32(h[12:]))
	osize := int64(binary.LittleEndian.Uint32(h[16:]))
	name := ""
	if fhs <= len(h) {
		rest := h[fhs:]
		for i, c := range rest {
			if c == 0 {
				name = string(rest[:i])
				break
			}
		}
	}
	start := int64(*off)
	if start+csize > int64(len(data)) {
		return fmt.Errorf("%s: truncated: %w", name, errArj)
	}
	comp := data[start : start+csize]
	*off = int(start + csize)
	if h[6] == 3 { // directory
		return nil
	}
	if flags&1 != 0 {
		return x.put(ctx, Entry{Name: name, Encrypted: true})
	}
	if osize > x.fileCap() {
		return &LimitError{Limit: "MaxFileSize", Detail: name}
	}
	switch method {
	case 0:
		return x.putRaw(ctx, name, comp)
	case 1, 2, 3:
		out, err := x.arjDecode(ctx, comp, osize)
		return x.putPartial(ctx, name, out, err)
	}
	return fmt.Errorf("%s: method %d unsupported", name, method)
}
