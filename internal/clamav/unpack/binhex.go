package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
)

// # BinHex 4.0
//
// RFC 1741: after the "(This file must be converted with BinHex 4.0)" line,
// the data sits between two ':' characters, 6 bits per character from the
// alphabet below (whitespace ignored). The decoded bytes are run-length
// coded: 0x90 n repeats the previous byte n-1 more times (0x90 0 is a
// literal 0x90). The result is a header (name length, name, version, type,
// creator, flags, data fork length, resource fork length, CRC) followed by
// the data fork and the resource fork, each with a 2-byte CRC. Both forks
// are members.

const binhexAlphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"

var errBinhex = errors.New("binhex: corrupt")

func extractBinhex(ctx context.Context, data []byte, x *run) error {
	start := bytes.Index(data, []byte("(This file must be converted with BinHex"))
	if start < 0 {
		return errBinhex
	}
	colon := bytes.IndexByte(data[start:], ':')
	if colon < 0 {
		return errBinhex
	}
	var rev [256]int8
	for i := range rev {
		rev[i] = -1
	}
	for i := 0; i < len(binhexAlphabet); i++ {
		rev[binhexAlphabet[i]] = int8(i)
	}
	var raw []byte
	var acc uint32
	n := 0
	for _, c := range data[start+colon+1:] {
		if c == ':' {
			break
		}
		v := rev[c]
		if v < 0 {
			continue
		}
		acc = acc<<6 | uint32(v)
		n += 6
		if n >= 8 {
			n -= 8
			raw = append(raw, byte(acc>>n))
		}
	}
	out, err := binhexRLE(raw, x.fileCap())
	if err != nil {
		return err
	}
	if err := x.grow(int64(len(out))); err != nil {
		return err
	}
	return x.binhexForks(ctx, out)
}

// binhexRLE expands the 0x90 run-length coding, bounded by limit.
func binhexRLE(raw []byte, limit int64) ([]byte, error) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != 0x90 || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		i++
		switch n := int(raw[i]); {
		case n == 0:
			out = append(out, 0x90)
		case len(out) > 0:
			for range n - 1 {
				out = append(out, out[len(out)-1])
			}
		}
		if int64(len(out)) > limit {
			return nil, &LimitError{Limit: "MaxFileSize", Detail: "binhex"}
		}
	}
	return out, nil
}

func (x *run) binhexForks(ctx context.Context, d []byte) error {
	if len(d) < 1 || len(d) < 1+int(d[0])+21 {
		return errBinhex
	}
	nl := int(d[0])
	name := string(d[1 : 1+nl])
	h := d[1+nl+1:] // skip version byte
	dlen, rlen := int64(binary.BigEndian.Uint32(h[10:])), int64(binary.BigEndian.Uint32(h[14:]))
	body := h[20:]
	dataFork := body[:min(dlen, int64(len(body)))]
	if err := x.put(ctx, Entry{Name: name, Data: dataFork}); err != nil {
		return err
	}
	rest := body[len(dataFork):]
	if len(rest) > 2 && rlen > 0 {
		rest = rest[2:]
		return x.put(ctx, Entry{Name: name + "/rsrc", Data: rest[:min(rlen, int64(len(rest)))]})
	}
	return nil
}
