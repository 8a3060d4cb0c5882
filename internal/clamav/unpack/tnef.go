package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
)

// # TNEF (winmail.dat)
//
// MS-OXTNEF 2.1: signature 78 9F 3E 22, a 2-byte key, then attributes:
// level (1 message, 2 attachment), a 4-byte id (type<<16 | name), a 4-byte
// length, the data and a 2-byte checksum. attAttachRendData starts an
// attachment; attAttachData holds its bytes and attAttachTitle its name,
// in either order, so an attachment is emitted when the next starts or at
// the end.

const (
	tnefAttachRendData = 0x00069002
	tnefAttachData     = 0x0006800f
	tnefAttachTitle    = 0x00018010
)

var errTNEF = errors.New("tnef: corrupt")

func extractTNEF(ctx context.Context, data []byte, x *run) error {
	if len(data) < 6 {
		return errTNEF
	}
	var name string
	var body []byte
	have := false
	flush := func() error {
		if !have {
			return nil
		}
		have = false
		return x.putRaw(ctx, name, body)
	}
	for off := 6; off+9 <= len(data); {
		if err := x.check(ctx); err != nil {
			return err
		}
		id := binary.LittleEndian.Uint32(data[off+1:])
		n := int64(binary.LittleEndian.Uint32(data[off+5:]))
		start := int64(off + 9)
		if start+n > int64(len(data)) {
			n = int64(len(data)) - start // QUIRK: a truncated last attribute is still scanned
		}
		v := data[start : start+n]
		switch id {
		case tnefAttachRendData:
			if err := flush(); err != nil {
				return err
			}
			name, body = "", nil
		case tnefAttachData:
			body, have = v, true
		case tnefAttachTitle:
			name = string(bytes.TrimRight(v, "\x00"))
		}
		off = int(start + n + 2)
	}
	return flush()
}
