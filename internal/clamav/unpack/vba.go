package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
)

// # VBA macro source
//
// [MS-OVBA] 2.4.1: a compressed container is 0x01 followed by chunks, each
// with a u16 header (low 12 bits: chunk size-3, bits 12-14: 0b011, bit 15:
// compressed). An uncompressed chunk is 4096 raw bytes. A compressed chunk
// is groups of a flag byte and 8 tokens: bit clear = literal byte, bit set
// = u16 copy token whose split between offset and length depends on how
// much of the chunk is decoded so far (offset bits = max(4, ceil(log2(n)))),
// offset+1 back, length+3. Module source sits in its stream at an offset
// the "dir" stream records; like common macro scanners we find it by its
// first line instead: compressed source starts 01 xx xx 00 "Attribut".
// Each decoded source is a member named after its stream.

var errVBA = errors.New("vba: corrupt container")

var vbaMarker = []byte("\x00Attribut")

// vbaMaxOut bounds one decompressed module (4096 per chunk, 4098 bytes in).
const vbaMaxOut = 64 << 20

func (x *run) vbaSource(ctx context.Context, name string, b []byte) error {
	i := bytes.Index(b, vbaMarker)
	if i < 3 || b[i-3] != 0x01 {
		return nil
	}
	// A truncated module is still scanned: the decoder's error is dropped.
	out, _ := vbaDecompress(b[i-3:], min(x.fileCap(), vbaMaxOut))
	if len(out) == 0 {
		return nil
	}
	if gerr := x.grow(int64(len(out))); gerr != nil {
		return gerr
	}
	return x.put(ctx, Entry{Name: name + ".vba", Data: out})
}

func vbaDecompress(in []byte, limit int64) ([]byte, error) {
	if len(in) < 1 || in[0] != 0x01 {
		return nil, errVBA
	}
	var out []byte
	for p := 1; p+2 <= len(in); {
		hdr := binary.LittleEndian.Uint16(in[p:])
		size := int(hdr&0x0fff) + 3
		end := min(p+size, len(in))
		chunk := in[p+2 : end]
		p = end
		if hdr&0x8000 == 0 {
			out = append(out, chunk[:min(len(chunk), 4096)]...)
		} else {
			var err error
			if out, err = vbaChunk(out, chunk); err != nil {
				return out, err
			}
		}
		if int64(len(out)) > limit {
			return out[:limit], &LimitError{Limit: "MaxFileSize", Detail: "vba"}
		}
	}
	return out, nil
}

// vbaChunk decodes one compressed chunk, appending to out.
func vbaChunk(out, c []byte) ([]byte, error) {
	start := len(out)
	for i := 0; i < len(c); {
		flags := c[i]
		i++
		for bit := 0; bit < 8 && i < len(c); bit++ {
			if flags&(1<<bit) == 0 {
				out = append(out, c[i])
				i++
				continue
			}
			if i+2 > len(c) {
				return out, errVBA
			}
			tok := int(binary.LittleEndian.Uint16(c[i:]))
			i += 2
			n := len(out) - start
			bits := 4
			for 1<<bits < n {
				bits++
			}
			bits = min(bits, 12)
			off := tok>>(16-bits) + 1
			length := tok&(0xffff>>bits) + 3
			if off > n {
				return out, errVBA
			}
			from := len(out) - off
			for k := range length {
				out = append(out, out[from+k])
			}
		}
	}
	return out, nil
}
