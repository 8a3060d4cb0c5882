package unpack

import (
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/klauspost/compress/flate"
	"io"
	"sort"

	"github.com/ulikunitz/xz/lzma"
)

// # ZIP
//
// PKWARE APPNOTE 6.3: the central directory (found from the end record) is
// the index, via archive/zip. Methods: 0 stored, 8 deflate (stdlib),
// 9 deflate64 and 6 implode (ours, deflate64.go and implode.go), 12 bzip2,
// 14 LZMA. General purpose flag bit 0 marks an encrypted member, which is
// emitted with Encrypted set.
//
// Overlapping entries (the "zip bomb" of many directory entries sharing
// one compressed stream) are refused before anything is decompressed: no
// legitimate archive has two members whose compressed data overlap.
// QUIRK: a CRC mismatch is not fatal; the member is still scanned, as ClamAV
// does, since malware does not care for checksums.

// zipMethodImplode and friends are APPNOTE 4.4.5 method numbers.
const (
	zipMethodImplode   = 6
	zipMethodDeflate64 = 9
	zipMethodBzip2     = 12
	zipMethodLZMA      = 14
	zipFlagEncrypted   = 1 << 0
	zipFlagLZMAEOS     = 1 << 1
	zipLZMADictCap     = 64 << 20 // bound on the declared LZMA window
)

func extractZip(ctx context.Context, data []byte, x *run) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return extractZipLocal(ctx, data, x, err)
	}
	if err := zipOverlap(zr.File); err != nil {
		return err
	}
	zr.RegisterDecompressor(zip.Deflate, flate.NewReader) // klauspost's inflate: ~2x the stdlib's
	zr.RegisterDecompressor(zipMethodDeflate64, func(r io.Reader) io.ReadCloser { return newInflater(r, true) })
	zr.RegisterDecompressor(zipMethodBzip2, func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) })
	for _, f := range zr.File {
		if err := x.check(ctx); err != nil {
			return err
		}
		if f.FileInfo().IsDir() {
			continue
		}
		if f.Flags&zipFlagEncrypted != 0 {
			if err := x.put(ctx, Entry{Name: f.Name, Encrypted: true}); err != nil {
				return err
			}
			continue
		}
		if f.UncompressedSize64 > uint64(x.fileCap()) {
			return &LimitError{Limit: "MaxFileSize", Detail: f.Name}
		}
		// Implode and LZMA need the member's flags and size, which the
		// archive/zip decompressor hook does not pass: register per member.
		flags, size := f.Flags, int64(f.UncompressedSize64)
		zr.RegisterDecompressor(zipMethodImplode, func(r io.Reader) io.ReadCloser {
			return io.NopCloser(newExploder(r, flags, size))
		})
		zr.RegisterDecompressor(zipMethodLZMA, func(r io.Reader) io.ReadCloser { return zipLZMA(r, flags, size) })
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("zip %s: %w", f.Name, err)
		}
		out, err := x.read(ctx, rc, size)
		rc.Close()
		if errors.Is(err, zip.ErrChecksum) {
			err = nil
		}
		if err := x.putPartial(ctx, f.Name, out, err); err != nil {
			return err
		}
	}
	return nil
}

// zipOverlap reports members whose compressed data share bytes.
func zipOverlap(files []*zip.File) error {
	type span struct{ start, end int64 }
	spans := make([]span, 0, len(files))
	for _, f := range files {
		off, err := f.DataOffset()
		if err != nil || f.CompressedSize64 == 0 {
			continue
		}
		spans = append(spans, span{off, off + int64(f.CompressedSize64)})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return &LimitError{Limit: "MaxRatio", Detail: "overlapping zip entries"}
		}
	}
	return nil
}

// zipLZMA reads APPNOTE 5.8.8 LZMA: a 4-byte header (version, properties
// size) and 5 property bytes, then the raw stream. The classic .lzma reader
// wants props plus an 8-byte size, which we synthesise (all ones = unknown,
// end marker present).
func zipLZMA(r io.Reader, flags uint16, size int64) io.ReadCloser {
	var hdr [9]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return errReadCloser{err}
	}
	classic := make([]byte, 13)
	copy(classic, hdr[4:9])
	n := uint64(size)
	if flags&zipFlagLZMAEOS != 0 {
		n = ^uint64(0)
	}
	binary.LittleEndian.PutUint64(classic[5:], n)
	lr, err := lzma.ReaderConfig{DictCap: zipLZMADictCap}.NewReader(io.MultiReader(bytes.NewReader(classic), r))
	if err != nil {
		return errReadCloser{err}
	}
	return io.NopCloser(lr)
}

type errReadCloser struct{ err error }

func (e errReadCloser) Read([]byte) (int, error) { return 0, e.err }
func (e errReadCloser) Close() error             { return nil }
