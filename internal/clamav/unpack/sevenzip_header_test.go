package unpack

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"testing"
	"time"
)

// sz7Number encodes v as a 7z NUMBER.
func sz7Number(v uint64) []byte {
	for n := 0; n < 8; n++ {
		if v < 1<<(7*(n+1)) {
			lead := byte(0xff << (8 - n))
			out := []byte{lead | byte(v>>(8*n))}
			for i := 0; i < n; i++ {
				out = append(out, byte(v>>(8*i)))
			}
			return out
		}
	}
	out := []byte{0xff}
	return binary.LittleEndian.AppendUint64(out, v)
}

// sz7Archive wraps a next header (and packed data before it) in a 7z
// signature header with correct CRCs, as a crafted attack file would be.
func sz7Archive(packed, hdr []byte) []byte {
	d := make([]byte, 32, 32+len(packed)+len(hdr))
	copy(d, "7z\xbc\xaf\x27\x1c\x00\x04")
	binary.LittleEndian.PutUint64(d[12:], uint64(len(packed)))
	binary.LittleEndian.PutUint64(d[20:], uint64(len(hdr)))
	binary.LittleEndian.PutUint32(d[28:], crc32.ChecksumIEEE(hdr))
	binary.LittleEndian.PutUint32(d[8:], crc32.ChecksumIEEE(d[12:32]))
	d = append(d, packed...)
	return append(d, hdr...)
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestSevenZipNumber(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 300, 1 << 14, 1<<21 + 5, 1e9, 1 << 56, 1<<64 - 1} {
		r := &sz7Reader{b: sz7Number(v)}
		if got := r.number(); got != v || r.err != nil || r.p != len(r.b) {
			t.Errorf("number(%x) = %d (err %v, %d of %d bytes), want %d", r.b, got, r.err, r.p, len(r.b), v)
		}
	}
}

// TestSevenZipForgedCounts: headers whose CRCs are right but whose counts
// are not backed by bytes are refused before the library sizes anything
// from them; each extraction ends at once with an error, not an
// allocation of the claimed size.
func TestSevenZipForgedCounts(t *testing.T) {
	forged := map[string][]byte{
		"a billion files": sz7Archive(nil, cat([]byte{sz7Header, sz7FilesInfo}, sz7Number(1e9), []byte{sz7End, sz7End})),
		"a billion folders": sz7Archive(nil, cat([]byte{sz7Header, sz7MainStreams, sz7UnpackInfo, sz7FolderID},
			sz7Number(1e9), []byte{0, 1, 0x21, sz7End})),
		"a billion pack streams": sz7Archive(nil, cat([]byte{sz7Header, sz7MainStreams, sz7PackInfo}, sz7Number(0),
			sz7Number(1e9), []byte{sz7End, sz7End, sz7End})),
		"many coders": sz7Archive(nil, cat([]byte{sz7Header, sz7MainStreams, sz7UnpackInfo, sz7FolderID, 1, 0},
			sz7Number(100000), []byte{sz7End})),
		"property past the end": sz7Archive(nil, cat([]byte{sz7Header, sz7FilesInfo, 1, 0x11}, sz7Number(1<<40), []byte{sz7End})),
		"substreams": sz7Archive(nil, cat([]byte{sz7Header, sz7MainStreams, sz7UnpackInfo, sz7FolderID, 1, 0, 1, 0x21, 1, 0x18,
			sz7CodersUnpackSize, 5, sz7End, sz7SubStreamsInfo, sz7NumUnpackStream}, sz7Number(1e12), []byte{sz7End, sz7End, sz7End})),
		"encoded header unpacking to a terabyte": sz7Archive([]byte("xxxx"), cat([]byte{sz7EncodedHeader, sz7PackInfo, 0, 1, sz7Size, 4, sz7End,
			sz7UnpackInfo, sz7FolderID, 1, 0, 0x23, 3, 1, 1, 5, 0x5d, 0, 0, 1, 0, sz7CodersUnpackSize}, sz7Number(1<<40), []byte{sz7End, sz7End})),
	}
	for name, d := range forged {
		t.Run(name, func(t *testing.T) {
			if err := check7zHeaders(d); err != nil {
				t.Fatalf("test archive is malformed before the walk: %v", err)
			}
			budget := NewBudget(1<<20, 4<<20, 10000, 200, time.Now().Add(10*time.Second))
			err := Extract(context.Background(), Kind7z, d, budget, func(Entry) error { return nil })
			if err == nil {
				t.Fatalf("forged header accepted")
			}
			if !errors.Is(err, errSz7Header) {
				t.Errorf("err = %v, want a 7z header error", err)
			}
		})
	}
}

// TestSevenZipFilesOverLimit: an archive listing more files than the scan
// may emit is a MaxFiles limit, said before the library reads the list.
func TestSevenZipFilesOverLimit(t *testing.T) {
	props := cat([]byte{0x19}, sz7Number(40), make([]byte, 40)) // kDummy padding backs the count
	d := sz7Archive(nil, cat([]byte{sz7Header, sz7FilesInfo}, sz7Number(20), props, []byte{sz7End, sz7End}))
	budget := NewBudget(1<<20, 4<<20, 10, 200, time.Time{})
	err := Extract(context.Background(), Kind7z, d, budget, func(Entry) error { return nil })
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxFiles" {
		t.Fatalf("err = %v, want a MaxFiles limit", err)
	}
}

// TestSevenZipRealHeaderWalks: ClamAV's clam.7z (LZMA-packed header) passes
// the walk.
func TestSevenZipRealHeaderWalks(t *testing.T) {
	d, err := os.ReadFile("/usr/share/clamav-testfiles/clam.7z")
	if err != nil {
		t.Skip("clamav-testfiles not installed (bash scripts/install-deps.sh installs them)")
	}
	if err := check7zHeaders(d); err != nil {
		t.Fatal(err)
	}
	x := &run{b: NewBudget(0, 0, 0, 0, time.Time{})}
	if err := x.sevenZipHeaderCheck(d); err != nil {
		t.Fatalf("walk refused a real archive: %v", err)
	}
	var got int
	Extract(context.Background(), Kind7z, d, NewBudget(0, 0, 0, 0, time.Time{}), func(e Entry) error {
		if len(e.Data) == 544 {
			got++
		}
		return nil
	})
	if got != 1 {
		t.Errorf("clam.exe extracted %d times, want 1", got)
	}
}

// FuzzSevenZipHeader fuzzes the next header itself, with the CRCs fixed up
// by the harness, so that inputs get past the CRC checks to the walk and to
// the library behind it.
func FuzzSevenZipHeader(f *testing.F) {
	f.Add(cat([]byte{sz7Header, sz7FilesInfo}, sz7Number(3), []byte{0x19, 4, 0, 0, 0, 0, sz7End, sz7End}))
	f.Add(cat([]byte{sz7Header, sz7MainStreams, sz7PackInfo, 0, 1, sz7Size, 4, sz7End, sz7UnpackInfo, sz7FolderID, 1, 0, 0x23, 3, 1, 1, 5, 0x5d, 0, 0, 1, 0,
		sz7CodersUnpackSize, 9, sz7End, sz7End, sz7FilesInfo, 1, sz7End, sz7End}))
	if d, err := os.ReadFile("/usr/share/clamav-testfiles/clam.7z"); err == nil && len(d) > 32 {
		off, size := binary.LittleEndian.Uint64(d[12:]), binary.LittleEndian.Uint64(d[20:])
		if 32+off+size <= uint64(len(d)) {
			f.Add(d[32+off : 32+off+size])
		}
	}
	f.Fuzz(func(t *testing.T, hdr []byte) {
		fuzzOne(t, Kind7z, sz7Archive([]byte("packed data of a test archive"), hdr))
	})
}
