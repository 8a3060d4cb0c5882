package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"github.com/klauspost/compress/flate"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// # NSIS installers
//
// A Nullsoft installer is a stub PE followed by a "first header": flags
// (u32), EF BE AD DE, "NullsoftInst", the uncompressed header size and the
// length of all data from the first header on. After it come blocks, each
// a u32 whose high bit marks it compressed and whose low 31 bits are its
// size: the installer header first, then one block per file. Compression
// is LZMA (5 property bytes, then the raw stream) or raw deflate, told
// apart by the first byte (LZMA properties are below 225 and for NSIS
// always 0x5D). A solid installer is instead one compressed stream whose
// decoded bytes are the same length-prefixed blocks. NSIS's own bzip2
// variant is not supported. Each block is a member.

var nsisMagic = []byte("\xef\xbe\xad\xdeNullsoftInst")

// nsisDictCap bounds the LZMA window an installer may declare.
const nsisDictCap = 64 << 20

func (x *run) nsis(ctx context.Context, d []byte) error {
	i := bytes.Index(d, nsisMagic)
	if i < 4 || i+24 > len(d) {
		return nil
	}
	fh := i - 4
	total := int64(binary.LittleEndian.Uint32(d[i+20:]))
	end := min(int64(fh)+total, int64(len(d)))
	body := d[min(int64(fh+28), end):end]
	if len(body) < 4 {
		return nil
	}
	first := binary.LittleEndian.Uint32(body)
	if first&0x80000000 != 0 && int64(first&0x7fffffff)+4 <= int64(len(body)) {
		return x.nsisBlocks(ctx, body, true)
	}
	out, err := x.read(ctx, nsisDecoder(body), -1) // solid
	if len(out) == 0 {
		return fmt.Errorf("nsis solid stream: %w", err)
	}
	return x.nsisBlocks(ctx, out, false)
}

// nsisBlocks walks length-prefixed blocks, decoding them when compressed
// is set and their high bit says so.
func (x *run) nsisBlocks(ctx context.Context, b []byte, compressed bool) error {
	for off := 0; off+4 <= len(b); {
		if err := x.check(ctx); err != nil {
			return err
		}
		v := binary.LittleEndian.Uint32(b[off:])
		n := int(v & 0x7fffffff)
		if n > len(b)-off-4 {
			return nil
		}
		blk := b[off+4 : off+4+n]
		off += 4 + n
		if !compressed || v&0x80000000 == 0 {
			if err := x.putRaw(ctx, "nsis-block", blk); err != nil {
				return err
			}
			continue
		}
		out, err := x.read(ctx, nsisDecoder(blk), -1)
		if err := x.putPartial(ctx, "nsis-block", out, err); err != nil && errorsIsLimit(err) {
			return err
		}
	}
	return nil
}

// nsisDecoder picks LZMA or raw deflate by the first byte.
func nsisDecoder(b []byte) io.Reader {
	if len(b) >= 5 && b[0] == 0x5d {
		hdr := make([]byte, 13)
		copy(hdr, b[:5])
		binary.LittleEndian.PutUint64(hdr[5:], ^uint64(0)) // size unknown
		r, err := lzma.ReaderConfig{DictCap: nsisDictCap}.NewReader(io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(b[5:])))
		if err != nil {
			return errReadCloser{err}
		}
		return r
	}
	return flate.NewReader(bytes.NewReader(b))
}
