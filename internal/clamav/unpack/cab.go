package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/klauspost/compress/flate"
	"io"
)

// # Microsoft Cabinet
//
// [MS-CAB]: CFHEADER (36 bytes; with flag 4 a reserve of cbCFHeader bytes
// and per-folder/per-data reserve sizes; flags 1 and 2 add the previous and
// next cabinet's name and disk as C strings), then cFolders CFFOLDER records
// (data offset, block count, compression type) and, at coffFiles, cFiles
// CFFILE records (size, offset in the folder's uncompressed stream, folder
// index, date, time, attributes, name). Each folder's data is a chain of
// CFDATA blocks (checksum, compressed and uncompressed size, reserve,
// bytes). Compression: 0 none, 1 MSZIP ("CK" then a deflate stream whose
// dictionary is the previous block's 32 KiB of output). Quantum (2) and
// LZX (3: window 2^(bits 8-12), see lzx.go). Quantum (2) folders are
// reported as unsupported.

var errCab = errors.New("cab: corrupt")

type cabFile struct {
	name      string
	size, off int64
	folder    int
}

type cabFolder struct {
	dataOff int64
	blocks  int
	method  uint16
}

func extractCab(ctx context.Context, data []byte, x *run) error {
	if len(data) < 36 {
		return errCab
	}
	le := binary.LittleEndian
	coffFiles := int64(le.Uint32(data[16:]))
	nFolders, nFiles, flags := int(le.Uint16(data[26:])), int(le.Uint16(data[28:])), le.Uint16(data[30:])
	off := 36
	var folderRes, dataRes int
	if flags&4 != 0 {
		if len(data) < 40 {
			return errCab
		}
		off = 40 + int(le.Uint16(data[36:]))
		folderRes, dataRes = int(data[38]), int(data[39])
	}
	for f := uint16(1); f <= 2; f <<= 1 { // previous / next cabinet: name, disk
		if flags&f != 0 {
			for range 2 {
				i := bytes.IndexByte(data[min(off, len(data)):], 0)
				if i < 0 {
					return errCab
				}
				off += i + 1
			}
		}
	}
	folders := make([]cabFolder, 0, min(nFolders, len(data)/8))
	for range nFolders {
		if off+8 > len(data) {
			return errCab
		}
		folders = append(folders, cabFolder{int64(le.Uint32(data[off:])), int(le.Uint16(data[off+4:])), le.Uint16(data[off+6:])})
		off += 8 + folderRes
	}
	files, err := cabFiles(data, coffFiles, nFiles)
	if err != nil {
		return err
	}
	for fi, fo := range folders {
		if err := x.cabFolder(ctx, data, fo, fi, dataRes, files); err != nil {
			return err
		}
	}
	return nil
}

func cabFiles(data []byte, off int64, n int) ([]cabFile, error) {
	le := binary.LittleEndian
	var files []cabFile
	for range n {
		if off+16 > int64(len(data)) {
			return files, errCab
		}
		d := data[off:]
		i := bytes.IndexByte(d[16:], 0)
		if i < 0 {
			return files, errCab
		}
		folder := int(le.Uint16(d[8:]))
		files = append(files, cabFile{string(d[16 : 16+i]), int64(le.Uint32(d)), int64(le.Uint32(d[4:])), folder})
		off += 16 + int64(i) + 1
	}
	return files, nil
}

// cabFolder decodes one folder's stream as far as its files need and emits them.
func (x *run) cabFolder(ctx context.Context, data []byte, fo cabFolder, index, dataRes int, files []cabFile) error {
	var need int64
	for _, f := range files {
		if f.folder == index {
			if f.size > x.fileCap() {
				return &LimitError{Limit: "MaxFileSize", Detail: f.name}
			}
			need = max(need, f.off+f.size)
		}
	}
	if need == 0 {
		return nil
	}
	if x.b.maxScanSize > 0 && need > x.b.maxScanSize {
		return &LimitError{Limit: "MaxScanSize", Detail: "cab folder"}
	}
	if x.b.maxScanSize <= 0 && need > x.fileCap() { // no scan cap: a folder is held to a member's
		return &LimitError{Limit: "MaxFileSize", Detail: "cab folder"}
	}
	method := fo.method & 0x0f
	if method == 2 || method > 3 {
		return fmt.Errorf("cab folder %d: compression %d (Quantum) unsupported", index, method)
	}
	var out []byte
	off := fo.dataOff
	for b := 0; b < fo.blocks && (method == 3 || int64(len(out)) < need); b++ {
		if err := x.check(ctx); err != nil {
			return err
		}
		if off+8 > int64(len(data)) {
			break
		}
		csize := int64(binary.LittleEndian.Uint16(data[off+4:]))
		start := off + 8 + int64(dataRes)
		if start+csize > int64(len(data)) {
			break
		}
		block := data[start : start+csize]
		off = start + csize
		switch method {
		case 3: // LZX blocks are one continuous stream: gather, decode below
			out = append(out, block...)
			continue
		case 1:
			dec, err := mszipBlock(block, out)
			if err != nil {
				return fmt.Errorf("cab mszip block %d: %w", b, err)
			}
			block = dec
		}
		out = append(out, block...)
		if err := x.grow(int64(len(block))); err != nil {
			return err
		}
	}
	if method == 3 {
		// typeCompress bits 8-12 hold the LZX window size as a power of two.
		var err error
		if out, err = x.lzxDecode(ctx, out, 1<<(fo.method>>8&0x1f), 0, need); err != nil && len(out) == 0 {
			return fmt.Errorf("cab lzx folder %d: %w", index, err)
		}
	}
	for _, f := range files {
		if f.folder != index || f.off > int64(len(out)) {
			continue
		}
		end := min(f.off+f.size, int64(len(out)))
		if err := x.put(ctx, Entry{Name: f.name, Data: out[f.off:end:end]}); err != nil {
			return err
		}
	}
	return nil
}

// mszipBlock inflates one MSZIP block (at most 32 KiB of output) with the
// previous output as dictionary.
func mszipBlock(block, prev []byte) ([]byte, error) {
	if len(block) < 2 || block[0] != 'C' || block[1] != 'K' {
		return nil, errCab
	}
	dict := prev[max(0, len(prev)-32768):]
	r := flate.NewReaderDict(bytes.NewReader(block[2:]), dict)
	var buf bytes.Buffer
	_, err := io.Copy(&buf, io.LimitReader(r, 32768+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return buf.Bytes(), nil
}
