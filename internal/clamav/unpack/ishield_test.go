package unpack

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// isRecord is one file of a synthetic setup overlay.
func isRecord(name string, body []byte) []byte {
	r := fmt.Appendf(nil, "%s\x00Disk1\\%s\x000.0.0.0\x00%d\x00", name, name, len(body))
	return append(r, body...)
}

// isRawDeflate compresses b as one raw deflate stream.
func isRawDeflate(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// makeISCab returns data1.hdr and data1.cab holding name with content
// body, stored as two deflate chunks (and a zero-length one) after 5
// bytes of cabinet header.
func makeISCab(t testing.TB, name string, body []byte) (hdr, cab []byte) {
	le := binary.LittleEndian
	cab = []byte("ISCAB")
	var stream []byte
	half := len(body) / 2
	for _, part := range [][]byte{body[:half], nil, body[half:]} {
		var c []byte
		if part != nil {
			c = isRawDeflate(t, part)
		}
		stream = le.AppendUint16(stream, uint16(len(c)))
		stream = append(stream, c...)
	}
	cab = append(cab, stream...)

	const dataOff, dirsOff = 32, 0x50
	hdr = make([]byte, dataOff+dirsOff+isFileItemSize)
	le.PutUint32(hdr, 0x28635349)
	le.PutUint32(hdr[12:], dataOff)
	le.PutUint32(hdr[dataOff+0x0c:], dirsOff)
	le.PutUint32(hdr[dataOff+0x28:], 1) // files_cnt
	it := hdr[dataOff+dirsOff:]
	le.PutUint16(it, 4)
	le.PutUint64(it[2:], uint64(len(body)))
	le.PutUint64(it[10:], uint64(len(stream)))
	le.PutUint64(it[18:], 5)
	le.PutUint32(it[58:], isFileItemSize) // the name follows the record
	le.PutUint16(it[85:], 1)
	hdr = append(hdr, name...)
	return append(hdr, 0), cab
}

// makeISMSI builds an MSI-style setup stream: marker, header, then the
// files obfuscated with their names.
func makeISMSI(t testing.TB, files ...file) []byte {
	le := binary.LittleEndian
	out := append([]byte("stub"), isMSIMarker...)
	hdr := make([]byte, 0x20)
	le.PutUint32(hdr, uint32(len(files)))
	out = append(out, hdr...)
	for _, f := range files {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(f.data)
		w.Close()
		fb := make([]byte, 312)
		copy(fb, f.name)
		le.PutUint32(fb[260:], 6)
		le.PutUint64(fb[268:], uint64(z.Len()))
		le.PutUint32(fb[280:], 1)
		out = append(out, fb...)
		for i, c := range z.Bytes() {
			k := f.name[(i&0x3ff)%len(f.name)] ^ isMSIKey[(i&0x3ff)%len(f.name)&3]
			c ^= k
			out = append(out, c>>4|c<<4)
		}
	}
	return out
}

func isMembers(t *testing.T, fn func(x *run) error, b *Budget) ([]Entry, error) {
	t.Helper()
	var got []Entry
	x := &run{b: b, in: 1 << 20, emit: func(e Entry) error {
		got = append(got, e)
		return nil
	}}
	return got, fn(x)
}

// TestIShieldSetupCab: a plain file of the overlay is a member as it is;
// data1.hdr places a file in data1.cab, which is inflated chunk by chunk.
func TestIShieldSetupCab(t *testing.T) {
	body := bytes.Repeat(payload, 40)
	hdr, cab := makeISCab(t, "eicar.com", body)
	ov := append(isRecord("setup.ini", []byte("[Startup]\r\n")), isRecord("data1.cab", cab)...)
	ov = append(ov, isRecord("data1.hdr", hdr)...)
	ov = append(ov, "junk after the files"...)
	got, err := isMembers(t, func(x *run) error { return x.isSetup(context.Background(), ov) }, bigBudget())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "setup.ini" || got[1].Name != "eicar.com" || !bytes.Equal(got[1].Data, body) {
		for _, e := range got {
			t.Logf("%q %d", e.Name, len(e.Data))
		}
		t.Fatalf("%d members", len(got))
	}

	// A header that places nothing leaves the data files as they are.
	bad := bytes.Clone(ov)
	copy(bad[bytes.Index(bad, []byte("ISc(")):], "XXXX")
	got, _ = isMembers(t, func(x *run) error { return x.isSetup(context.Background(), bad) }, bigBudget())
	if len(got) != 3 || got[1].Name != "data1.hdr" || got[2].Name != "data1.cab" {
		t.Fatalf("bad header: %d members", len(got))
	}
}

// TestIShieldChunkWithoutFinalBlock: a chunk that stops after a sync
// flush ends that chunk, not the stream.
func TestIShieldChunkWithoutFinalBlock(t *testing.T) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write([]byte("first "))
	w.Flush()
	var stream []byte
	for _, c := range [][]byte{buf.Bytes(), isRawDeflate(t, []byte("second"))} {
		stream = binary.LittleEndian.AppendUint16(stream, uint16(len(c)))
		stream = append(stream, c...)
	}
	out, err := io.ReadAll(&isChunks{rest: stream})
	if err != nil || string(out) != "first second" {
		t.Fatalf("got %q, %v", out, err)
	}
}

// TestIShieldMSI: files of an MSI-style setup come out de-obfuscated and
// inflated, found behind a stub by the marker.
func TestIShieldMSI(t *testing.T) {
	d := makeISMSI(t, file{"0x0409.ini", []byte("[info]\r\n")}, file{"clam.msi", bytes.Repeat(payload, 30)})
	got, err := isMembers(t, func(x *run) error { return x.ishield(context.Background(), d) }, bigBudget())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "0x0409.ini" || string(got[0].Data) != "[info]\r\n" ||
		got[1].Name != "clam.msi" || !bytes.Equal(got[1].Data, bytes.Repeat(payload, 30)) {
		t.Fatalf("%d members: %v", len(got), got)
	}
}

// TestIShieldLimits: an output bigger than MaxFileSize stops the walk
// with that limit.
func TestIShieldLimits(t *testing.T) {
	big := bytes.Repeat([]byte{0}, 1<<16)
	hdr, cab := makeISCab(t, "zeros", big)
	ov := append(isRecord("data1.cab", cab), isRecord("data1.hdr", hdr)...)
	msi := makeISMSI(t, file{"zeros", big})
	for name, fn := range map[string]func(x *run) error{
		"setup": func(x *run) error { return x.isSetup(context.Background(), ov) },
		"msi":   func(x *run) error { return x.ishield(context.Background(), msi) },
	} {
		_, err := isMembers(t, fn, NewBudget(4096, 0, 0, 0, time.Time{}))
		if !errorsIsLimit(err) {
			t.Errorf("%s: err %v, want a limit", name, err)
		}
	}
}

// TestIShieldCorrupt: truncated and damaged setups end without panic.
func TestIShieldCorrupt(t *testing.T) {
	for _, d := range ishieldSeeds(t)[:2] {
		for i := 0; i < len(d); i++ {
			isMembers(t, func(x *run) error { return x.ishield(context.Background(), d[:i]) }, bigBudget())
			isMembers(t, func(x *run) error { return x.isSetup(context.Background(), d[:i]) }, bigBudget())
			c := bytes.Clone(d)
			c[i] ^= 0xa5
			isMembers(t, func(x *run) error { return x.ishield(context.Background(), c) }, bigBudget())
			isMembers(t, func(x *run) error { return x.isSetup(context.Background(), c) }, bigBudget())
		}
	}
}

// TestIShieldTestfiles: the four InstallShield samples of clamav-testfiles.
// IScab_ext stores clam.exe as a plain setup file (the PE carver finds it
// too), IScab_int in data2.cab, ISmsi_ext as an MSI-style stream file and
// ISmsi_int inside clam.msi, an OLE2 file (whose CAB stream holds it).
func TestIShieldTestfiles(t *testing.T) {
	for _, tc := range []struct{ file, member string }{
		{"clam_IScab_ext.exe", "clam.exe"},
		{"clam_IScab_int.exe", "clam.exe"},
		{"clam_ISmsi_ext.exe", ""},
		{"clam_ISmsi_int.exe", "clam.msi"},
	} {
		d, err := os.ReadFile(filepath.Join(testfilesDir, tc.file))
		if err != nil {
			t.Skip("clamav-testfiles not installed (Debian clamav-testfiles): ", err)
		}
		got, err := isMembers(t, func(x *run) error { return x.ishield(context.Background(), d) }, bigBudget())
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
		found := false
		for _, e := range got {
			sum := md5.Sum(e.Data)
			clam := hex.EncodeToString(sum[:]) == clamExeMD5
			switch {
			case tc.member == "clam.msi" && e.Name == "clam.msi":
				found = Detect(e.Data, e.Name) == KindOLE2
			case tc.member == "" && clam, clam && e.Name == tc.member:
				found = true
			}
		}
		if !found {
			t.Errorf("%s: %s not among %d members", tc.file, tc.member, len(got))
		}
	}
}

func ishieldSeeds(t testing.TB) [][]byte {
	hdr, cab := makeISCab(t, "eicar.com", payload)
	ov := append(isRecord("a.txt", []byte("hello")), isRecord("data1.cab", cab)...)
	ov = append(ov, isRecord("data1.hdr", hdr)...)
	return [][]byte{ov, makeISMSI(t, file{"a.ini", []byte("[a]")}, file{"b", payload})}
}

// FuzzIShield drives both layouts: the overlay walk and the MSI marker
// search (a non-PE input has no overlay).
func FuzzIShield(f *testing.F) {
	for _, s := range ishieldSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := NewBudget(1<<20, 4<<20, 200, 200, time.Now().Add(2*time.Second))
		x := &run{b: b, in: int64(len(data)), emit: func(Entry) error { return nil }}
		x.isSetup(context.Background(), data)
		x.ishield(context.Background(), data)
	})
}
