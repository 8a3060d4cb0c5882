package unpack

import (
	"context"
	"encoding/binary"
	"errors"
)

// # SZDD (MS-DOS COMPRESS.EXE)
//
// Header: "SZDD" 88 F0 27 33, 'A' (method), the missing last character of
// the name, then the uncompressed size (uint32 LE) at offset 10; data at
// 14. LZSS: a flag byte precedes each 8 items, bit set = literal byte, bit
// clear = two bytes giving a 12-bit window position (low byte, high nibble
// of the second) and a length of the low nibble + 3. The 4 KiB window starts
// filled with spaces and writing at 4096-16.

var errSZDD = errors.New("szdd: corrupt")

func extractSZDD(ctx context.Context, data []byte, x *run) error {
	if len(data) < 14 {
		return errSZDD
	}
	size := int64(binary.LittleEndian.Uint32(data[10:]))
	if size > x.fileCap() {
		return &LimitError{Limit: "MaxFileSize", Detail: "szdd declared size"}
	}
	var win [4096]byte
	for i := range win {
		win[i] = ' '
	}
	pos := 4096 - 16
	out := make([]byte, 0, min(size, int64(len(data))*8))
	in := data[14:]
	for i := 0; i < len(in) && int64(len(out)) < size; {
		flags := in[i]
		i++
		for bit := 0; bit < 8 && i < len(in) && int64(len(out)) < size; bit++ {
			if flags&(1<<bit) != 0 {
				out = append(out, in[i])
				win[pos] = in[i]
				pos = (pos + 1) & 4095
				i++
				continue
			}
			if i+1 >= len(in) {
				break
			}
			mpos := int(in[i]) | int(in[i+1]&0xf0)<<4
			n := int(in[i+1]&0x0f) + 3
			i += 2
			for k := 0; k < n; k++ {
				c := win[(mpos+k)&4095]
				out = append(out, c)
				win[pos] = c
				pos = (pos + 1) & 4095
			}
		}
		if len(out)&0xffff < 8 {
			if err := x.check(ctx); err != nil {
				return err
			}
		}
	}
	if err := x.grow(int64(len(out))); err != nil {
		return err
	}
	return x.put(ctx, Entry{Data: out})
}
