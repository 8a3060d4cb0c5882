package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
)

// # PE packers
//
// Petite, MEW, Upack, WWPack, yC, ASPack and PESpin are recognised the way
// ClamAV's pe.c does: by the section layout and the code at the entry
// point (packerKind). Each unpacker (petite.go, mew.go, ...) lays the
// packed sections out by RVA in a zeroed image, decodes the original
// sections into it and emits the image; executables embedded in it are
// carved out (pecarve.go), as for UPX. Images are paid for up front: at
// most MaxFileSize, peImageMax and the MaxRatio allowance.

// peImageMax bounds an unpacked image whatever the budget says: a header
// may declare gigabytes of virtual size.
const peImageMax = 256 << 20

// peKind names the kind of a PE file: its packer's, else "upx" for UPX
// section names, else "pe".
func peKind(head []byte) Kind {
	if k := packerKind(head); k != KindNone {
		return k
	}
	if isUPX(head) {
		return KindUPX
	}
	return KindPE
}

// packerKind names the packer of the PE in d (its first bytes may be
// enough), or KindNone.
func packerKind(d []byte) Kind {
	f, err := parsePE(d)
	if err != nil || len(f.sections) == 0 {
		return KindNone
	}
	switch {
	case petiteVersion(f) != 0:
		return KindPetite
	case mewStub(f) >= 0:
		return KindMEW
	case isWWPack(f):
		return KindWWPack
	}
	if _, _, ok := ycStub(f); ok {
		return KindYC
	}
	if _, ok := aspackVer(f); ok {
		return KindASPack
	}
	if isPESpin(f) {
		return KindPESpin
	}
	if upackEntry(f) >= 0 {
		return KindUpack
	}
	return KindNone
}

// unpackPE unpacks a PE of kind "pe" whose packer shows only beyond the
// head Detect saw (its entry point code lies further in). A file that only
// looks packed and fails to unpack is left to the other PE scans; a limit
// stops the scan.
func (x *run) unpackPE(ctx context.Context, data []byte) error {
	k := packerKind(data)
	if k == KindNone {
		return nil
	}
	if err := lookup(k)(ctx, data, x); err != nil && errorsIsLimit(err) {
		return err
	}
	return nil
}

// epCode returns up to n bytes of the file at the entry point.
func (f *peFile) epCode(n int) []byte {
	off, ok := f.fileOffset(f.ep)
	if !ok {
		// QUIRK: an entry point below the first section is in the
		// headers, which the loader maps at RVA 0 as they are on disk.
		if f.ep >= uint32(len(f.d)) || f.ep >= 0x1000 {
			return nil
		}
		off = int(f.ep)
	}
	return f.d[off:min(len(f.d), off+n)]
}

// u32 reads a little-endian word at i of b, or reports it out of range.
func u32(b []byte, i int64) (uint32, bool) {
	if i < 0 || i+4 > int64(len(b)) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b[i:]), true
}

// rawData returns section s's bytes in the file, cut at its end.
func (f *peFile) rawData(s peSection) []byte {
	if s.rawSize == 0 || int64(s.rawOff) >= int64(len(f.d)) {
		return nil
	}
	return f.d[s.rawOff:min(int64(len(f.d)), int64(s.rawOff)+int64(s.rawSize))]
}

// alloc pays for an image of n bytes and returns it zeroed.
func (x *run) alloc(n int64, what string) ([]byte, error) {
	if n <= 0 || n > peImageMax || n > x.fileCap() {
		return nil, &LimitError{Limit: "MaxFileSize", Detail: fmt.Sprintf("%s image of %d bytes", what, n)}
	}
	if err := x.grow(n); err != nil {
		return nil, err
	}
	return make([]byte, n), nil
}

// emitImage emits an unpacked image and the executables and ZIP archives
// carved from it.
func (x *run) emitImage(ctx context.Context, name string, img []byte) error {
	if err := x.put(ctx, Entry{Name: name, Data: img}); err != nil {
		return err
	}
	if err := x.carveZip(ctx, img); err != nil {
		return err
	}
	return x.carvePE(ctx, img, 0)
}

// zipCarveMax bounds how many archives one image yields.
const zipCarveMax = 16

// carveZip emits the ZIP archives embedded in d (self-extractors, and
// droppers whose payload section holds one): each runs from a local header
// to the end of the first end-of-central-directory record after it, or to
// the end of d. ClamAV finds them by its ZIPSFX file type when it rescans
// the unpacked file.
func (x *run) carveZip(ctx context.Context, d []byte) error {
	for off, n := 0, 0; off < len(d) && n < zipCarveMax; n++ {
		i := bytes.Index(d[off:], []byte(zipLocalSig))
		if i < 0 {
			return nil
		}
		off += i
		end := len(d)
		if j := bytes.Index(d[off:], []byte("PK\x05\x06")); j >= 0 && off+j+22 <= len(d) {
			end = min(len(d), off+j+22+int(binary.LittleEndian.Uint16(d[off+j+20:])))
		}
		if err := x.putRaw(ctx, "embedded-zip", d[off:end:end]); err != nil {
			return err
		}
		off = max(end, off+4)
	}
	return nil
}
