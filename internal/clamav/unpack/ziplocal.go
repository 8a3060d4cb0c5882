package unpack

import (
	"bytes"
	"compress/bzip2"
	"context"
	"encoding/binary"
	"fmt"
	"github.com/klauspost/compress/flate"
	"io"
)

// # ZIP without a central directory
//
// A truncated or hand-made archive (a common malware carrier) may have no
// usable central directory; then the local file headers (APPNOTE 4.3.7,
// signature PK\3\4, 30 bytes + name + extra) are walked in order. With
// flag bit 3 the sizes follow the data, so only self-terminating methods
// (deflate, deflate64) can be read, and the walk ends after such a member.

const zipLocalSig = "PK\x03\x04"

func extractZipLocal(ctx context.Context, data []byte, x *run, cdErr error) error {
	off := bytes.Index(data, []byte(zipLocalSig))
	if off < 0 {
		return fmt.Errorf("zip: %w", cdErr)
	}
	for off+30 <= len(data) && string(data[off:off+4]) == zipLocalSig {
		if err := x.check(ctx); err != nil {
			return err
		}
		h := data[off:]
		flags := binary.LittleEndian.Uint16(h[6:])
		method := binary.LittleEndian.Uint16(h[8:])
		csize := int64(binary.LittleEndian.Uint32(h[18:]))
		usize := int64(binary.LittleEndian.Uint32(h[22:]))
		nlen, elen := int(binary.LittleEndian.Uint16(h[26:])), int(binary.LittleEndian.Uint16(h[28:]))
		start := off + 30 + nlen + elen
		if start > len(data) {
			return fmt.Errorf("zip local header at %d: truncated", off)
		}
		name := string(h[30 : 30+nlen])
		streamed := flags&8 != 0 && csize == 0
		end := int64(len(data))
		if !streamed && int64(start)+csize < end {
			end = int64(start) + csize
		}
		if flags&zipFlagEncrypted != 0 {
			if err := x.put(ctx, Entry{Name: name, Encrypted: true}); err != nil {
				return err
			}
		} else {
			src := bytes.NewReader(data[start:end])
			r, err := zipLocalReader(src, method, flags, usize)
			if err != nil {
				return fmt.Errorf("zip %s: %w", name, err)
			}
			out, err := x.read(ctx, r, -1)
			if err := x.putPartial(ctx, name, out, err); err != nil {
				return err
			}
			if streamed {
				return nil
			}
		}
		off = int(end)
	}
	return nil
}

func zipLocalReader(src *bytes.Reader, method, flags uint16, usize int64) (io.Reader, error) {
	switch method {
	case 0:
		return src, nil
	case 8:
		return flate.NewReader(src), nil
	case zipMethodDeflate64:
		return newInflater(src, true), nil
	case zipMethodBzip2:
		return bzip2.NewReader(src), nil
	case zipMethodImplode:
		return newExploder(src, flags, usize), nil
	case zipMethodLZMA:
		return zipLZMA(src, flags, usize), nil
	}
	return nil, fmt.Errorf("method %d unsupported", method)
}
