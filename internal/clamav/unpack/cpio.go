package unpack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// # cpio
//
// Four header flavours, all followed by the name and then the data:
//   - newc "070701" / crc "070702": 110 bytes of 8-digit hex fields; name
//     and data each padded to 4 bytes.
//   - odc "070707": 76 bytes of octal fields (6-digit, name size 6, file
//     size 11); no padding.
//   - binary: 26 bytes of 16-bit words, magic 070707 (0x71C7) in either byte
//     order; 32-bit values are two words, most significant first; name and
//     data padded to 2 bytes.
// The archive ends at the member named "TRAILER!!!".

var errCpio = errors.New("cpio: bad header")

type cpioHeader struct {
	mode, nameSize, fileSize int64
	hdrLen, align            int
}

func parseCpioHeader(d []byte) (cpioHeader, error) {
	switch {
	case len(d) >= 110 && (string(d[:6]) == "070701" || string(d[:6]) == "070702"):
		f := func(i int) (int64, error) { return strconv.ParseInt(string(d[6+8*i:14+8*i]), 16, 64) }
		mode, e1 := f(1)
		fsz, e2 := f(6)
		nsz, e3 := f(11)
		if err := errors.Join(e1, e2, e3); err != nil {
			return cpioHeader{}, errCpio
		}
		return cpioHeader{mode, nsz, fsz, 110, 4}, nil
	case len(d) >= 76 && string(d[:6]) == "070707":
		mode, e1 := strconv.ParseInt(string(d[18:24]), 8, 64)
		nsz, e2 := strconv.ParseInt(string(d[59:65]), 8, 64)
		fsz, e3 := strconv.ParseInt(string(d[65:76]), 8, 64)
		if err := errors.Join(e1, e2, e3); err != nil {
			return cpioHeader{}, errCpio
		}
		return cpioHeader{mode, nsz, fsz, 76, 1}, nil
	case len(d) >= 26 && (d[0] == 0xc7 && d[1] == 0x71 || d[0] == 0x71 && d[1] == 0xc7):
		var bo binary.ByteOrder = binary.LittleEndian
		if d[0] == 0x71 {
			bo = binary.BigEndian
		}
		w := func(i int) int64 { return int64(bo.Uint16(d[2*i:])) }
		return cpioHeader{w(3), w(10), w(11)<<16 | w(12), 26, 2}, nil
	}
	return cpioHeader{}, errCpio
}

func pad(n, align int) int { return (n + align - 1) / align * align }

func extractCpio(ctx context.Context, data []byte, x *run) error {
	off := 0
	for off < len(data) {
		if err := x.check(ctx); err != nil {
			return err
		}
		h, err := parseCpioHeader(data[off:])
		if err != nil {
			return fmt.Errorf("at %d: %w", off, err)
		}
		nameEnd := int64(off+h.hdrLen) + h.nameSize
		if h.nameSize < 1 || nameEnd > int64(len(data)) {
			return fmt.Errorf("at %d: name: %w", off, errCpio)
		}
		name := string(data[off+h.hdrLen : nameEnd-1])
		if name == "TRAILER!!!" {
			return nil
		}
		start := int64(pad(int(nameEnd), h.align)) // headers start aligned, so absolute padding works
		end := start + h.fileSize
		if h.fileSize < 0 || end > int64(len(data)) {
			return fmt.Errorf("at %d: size %d: %w", off, h.fileSize, errCpio)
		}
		if h.mode&0o170000 == 0o100000 || h.mode&0o170000 == 0 {
			if err := x.putRaw(ctx, name, data[start:end:end]); err != nil {
				return err
			}
		}
		off = pad(int(end), h.align)
	}
	return nil
}
