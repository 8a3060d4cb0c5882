package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zlib"
)

// # InstallShield installers
//
// Two layouts, after ClamAV's libclamav/ishield.c, both inside a PE stub:
//
// Setup files appended to the stub (the PE overlay, "ISSetupStream"-less
// releases): records of four NUL-terminated strings (file name, path,
// version, decimal size) each followed by that many bytes of the file.
// Each file is a member, except data1.hdr and dataN.cab: the header
// ("ISc(" magic, u32 data_off at 12) lists the files of the cabinets.
// Its object table at data_off gives dirs_off (0x0C), files_cnt (0x28)
// and dir_sz2 (0x2C); 87-byte file records start at data_off + dirs_off +
// dir_sz2: u16 flags (4: inside a cabinet), u64 size, u64 csize, u64
// offset in the cabinet, ..., u32 name offset (58, from data_off +
// dirs_off), a duplicate flag byte (84) and the u16 cabinet number (85).
// A cabinet stream is chunks of u16 length plus raw deflate, each chunk
// its own stream. When the header yields nothing the raw data files are
// members instead.
//
// MSI-based setups: "InstallShield\0", a 0x20-byte header (u32 file count,
// zeros from 8), then per file a 312-byte block (260-byte name, u32 6,
// u32 0, u64 csize, ...) and csize bytes of zlib data, obfuscated: each
// byte has its nibbles swapped and is XORed with the name (itself XORed
// with EC CA 79 F8) at index (i mod 1024) mod len(name).

// isMaxMSI bounds the "InstallShield" markers one file is searched from.
const isMaxMSI = 4

// isFileItemSize is the packed size of one data1.hdr file record.
const isFileItemSize = 87

var isMSIMarker = []byte("InstallShield\x00")

// ishield extracts the InstallShield payloads of the PE in d. Only a
// limit or the emit callback stops it with an error: a broken payload is
// not a broken PE.
func (x *run) ishield(ctx context.Context, d []byte) error {
	if ov := peImageSize(d); ov > 0 && ov < len(d) {
		if err := x.isSetup(ctx, d[ov:]); err != nil {
			return err
		}
	}
	for n, off := 0, 0; n < isMaxMSI; n++ {
		i := bytes.Index(d[off:], isMSIMarker)
		if i < 0 {
			return nil
		}
		off += i + len(isMSIMarker)
		if isMSIHeader(d[off:]) {
			if err := x.isMSI(ctx, d[off:]); err != nil {
				return err
			}
		}
	}
	return nil
}

// isMSIHeader matches what follows the marker: the header, then the
// first file block's u32 6, u32 0, csize, u32 0 and u32 1 (as ClamAV's
// ISHIELD-MSI file type signature).
func isMSIHeader(d []byte) bool {
	const blk = 0x20 + 260
	return len(d) >= blk+28 && string(d[blk:blk+8]) == "\x06\x00\x00\x00\x00\x00\x00\x00" &&
		string(d[blk+16:blk+21]) == "\x00\x00\x00\x00\x01"
}

// isSetup walks the files appended to the stub; d is the overlay.
func (x *run) isSetup(ctx context.Context, d []byte) error {
	var hdr []byte
	var cabs []isCab
	for p := 0; ; {
		if err := x.check(ctx); err != nil {
			return err
		}
		var f [4]string
		q := p
		for i := range f {
			end := bytes.IndexByte(d[q:min(len(d), q+2048)], 0)
			if end < 0 {
				q = -1
				break
			}
			f[i] = string(d[q : q+end])
			q += end + 1
		}
		if q < 0 {
			break
		}
		size, err := strconv.ParseUint(f[3], 10, 63)
		if err != nil || size > uint64(len(d)-q) {
			break
		}
		body := d[q : q+int(size) : q+int(size)]
		p = q + int(size)
		name := strings.ToLower(f[0])
		if name == "data1.hdr" && hdr == nil {
			hdr = body
			continue
		}
		if n, ok := isCabNumber(name); ok && !isHasCab(cabs, n) {
			cabs = append(cabs, isCab{n, f[0], body})
			continue
		}
		if len(body) > 0 {
			if err := x.putRaw(ctx, strings.ToValidUTF8(f[0], "?"), body); err != nil {
				return err
			}
		}
	}
	if hdr == nil && len(cabs) == 0 {
		return nil
	}
	n, err := x.isCabFiles(ctx, hdr, cabs)
	if err != nil || n > 0 {
		return err
	}
	if len(hdr) > 0 {
		if err := x.putRaw(ctx, "data1.hdr", hdr); err != nil {
			return err
		}
	}
	for _, c := range cabs {
		if len(c.data) > 0 {
			if err := x.putRaw(ctx, strings.ToValidUTF8(c.name, "?"), c.data); err != nil {
				return err
			}
		}
	}
	return nil
}

type isCab struct {
	n    int
	name string
	data []byte
}

// isCabNumber parses "dataN.cab" (lower case), 0 < N < 65536.
func isCabNumber(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "data")
	if !ok {
		return 0, false
	}
	if s, ok = strings.CutSuffix(s, ".cab"); !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0 && n < 65536 && s[0] != '+'
}

func isHasCab(cabs []isCab, n int) bool {
	for _, c := range cabs {
		if c.n == n {
			return true
		}
	}
	return false
}

// isCabFiles emits the files data1.hdr places in the cabinets and
// returns how many it emitted.
func (x *run) isCabFiles(ctx context.Context, hdr []byte, cabs []isCab) (int, error) {
	le := binary.LittleEndian
	if len(hdr) < 20 || len(cabs) == 0 || le.Uint32(hdr) != 0x28635349 { // "ISc("
		return 0, nil
	}
	dataOff := int64(le.Uint32(hdr[12:]))
	if dataOff+0x4a > int64(len(hdr)) { // the object table is 0x4A bytes
		return 0, nil
	}
	objs := hdr[dataOff:]
	dirsOff := dataOff + int64(le.Uint32(objs[0x0c:]))
	count := int64(le.Uint32(objs[0x28:]))
	off := dirsOff + int64(le.Uint32(objs[0x2c:]))
	emitted := 0
	for i := int64(0); i < count && off >= 0 && off+isFileItemSize <= int64(len(hdr)); i, off = i+1, off+isFileItemSize {
		if err := x.check(ctx); err != nil {
			return emitted, err
		}
		it := hdr[off : off+isFileItemSize]
		flags, size, csize := le.Uint16(it), le.Uint64(it[2:]), le.Uint64(it[10:])
		streamOff := le.Uint64(it[18:])
		if flags != 4 || it[84]&1 != 0 || size == 0 { // external, a duplicate, or empty
			continue
		}
		cab := -1
		for j, c := range cabs {
			if c.n == int(le.Uint16(it[85:])) {
				cab = j
			}
		}
		if cab < 0 {
			continue
		}
		data := cabs[cab].data
		if streamOff > uint64(len(data)) || csize > uint64(len(data))-streamOff {
			continue
		}
		name := "ishield-file"
		if s := isString(hdr, dirsOff+int64(le.Uint32(it[58:]))); s != "" {
			name = s
		}
		stream := data[streamOff : streamOff+csize]
		out, err := x.read(ctx, &isChunks{rest: stream}, int64(min(size, uint64(x.fileCap()))))
		if len(out) > 0 {
			emitted++
		}
		if err := x.isPut(ctx, name, out, err); err != nil {
			return emitted, err
		}
	}
	return emitted, nil
}

// isString reads a NUL-terminated string of hdr at off, or "".
func isString(hdr []byte, off int64) string {
	if off < 0 || off >= int64(len(hdr)) {
		return ""
	}
	s := hdr[off:min(int64(len(hdr)), off+1024)]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		return strings.ToValidUTF8(string(s[:i]), "?")
	}
	return ""
}

// isChunks reads a cabinet stream: u16-length-prefixed raw deflate
// chunks, each inflated on its own by one reused decompressor.
type isChunks struct {
	rest   []byte
	src    bytes.Reader
	fr     io.ReadCloser
	active bool
}

func (r *isChunks) Read(p []byte) (int, error) {
	for {
		if r.active {
			n, err := r.fr.Read(p)
			// QUIRK: a chunk may lack a final block; ClamAV takes what
			// it inflated and goes on with the next chunk, so do we.
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				r.active = false
				if n > 0 {
					return n, nil
				}
				continue
			}
			return n, err
		}
		if len(r.rest) < 2 {
			return 0, io.EOF
		}
		n := int(binary.LittleEndian.Uint16(r.rest))
		r.rest = r.rest[2:]
		if n == 0 {
			continue
		}
		if n > len(r.rest) {
			return 0, fmt.Errorf("ishield: chunk of %d bytes past the stream", n)
		}
		r.src.Reset(r.rest[:n])
		r.rest = r.rest[n:]
		if r.fr == nil {
			r.fr = flate.NewReader(&r.src)
		} else if err := r.fr.(flate.Resetter).Reset(&r.src, nil); err != nil {
			return 0, err
		}
		r.active = true
	}
}

// isPut emits what a decoder produced before it ended: a corrupt stream
// ends only its member, a limit (or emit's error) the whole walk.
func (x *run) isPut(ctx context.Context, name string, out []byte, err error) error {
	if err != nil && errorsIsLimit(err) {
		return err
	}
	if len(out) == 0 {
		return nil
	}
	return x.put(ctx, Entry{Name: name, Data: out})
}

// isMSIKey is XORed into the file name to make the stream key.
var isMSIKey = [4]byte{0xec, 0xca, 0x79, 0xf8}

// isMSI walks the files of an MSI-based setup; d follows the marker.
func (x *run) isMSI(ctx context.Context, d []byte) error {
	le := binary.LittleEndian
	count := le.Uint32(d)
	p := 0x20
	for ; count > 0; count-- {
		if err := x.check(ctx); err != nil {
			return err
		}
		if p+312 > len(d) {
			return nil
		}
		fb := d[p : p+312]
		p += 312
		name := fb[:259]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		csize := le.Uint64(fb[268:])
		if len(name) == 0 || csize > uint64(len(d)-p) {
			return nil
		}
		stream := d[p : p+int(csize)]
		p += int(csize)
		if int64(csize) > x.fileCap() {
			continue // as ClamAV: skipped, the next file may fit
		}
		key := make([]byte, len(name))
		for i, c := range name {
			key[i] = c ^ isMSIKey[i&3]
		}
		plain := make([]byte, len(stream))
		for i, c := range stream {
			plain[i] = (c>>4 | c<<4) ^ key[(i&0x3ff)%len(key)]
		}
		zr, err := zlib.NewReader(bytes.NewReader(plain))
		if err != nil {
			continue
		}
		out, err := x.read(ctx, zr, -1)
		if err := x.isPut(ctx, strings.ToValidUTF8(string(name), "?"), out, err); err != nil {
			return err
		}
	}
	return nil
}
