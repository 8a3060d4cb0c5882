package clamav

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
)

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, data := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tarGzOf(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
	tw.Write(data)
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func mimeWith(name string, data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	return []byte("From: a@example.com\r\nTo: b@example.com\r\nSubject: test\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--XX\r\nContent-Type: application/octet-stream; name=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		enc + "\r\n--XX--\r\n")
}

func eicarEngine(t *testing.T, o Options) *Engine {
	t.Helper()
	db := writeDB(t, map[string]string{"e.ndb": "Eicar-Test-Signature:0:*:" + hx(eicar) + "\n"})
	return NewEngine(db, o)
}

func TestEicarEncodings(t *testing.T) {
	e := eicarEngine(t, DefaultOptions())
	zipped := zipOf(t, map[string][]byte{"eicar.com": []byte(eicar)})
	tests := []struct {
		name string
		data []byte
	}{
		{"file", []byte(eicar)},
		{"zip", zipped},
		{"zip in zip in tar.gz", tarGzOf(t, "outer.zip", zipOf(t, map[string][]byte{"inner.zip": zipped}))},
		{"mime attachment", mimeWith("eicar.com", []byte(eicar))},
		{"zip in mime", mimeWith("eicar.zip", zipped)},
	}
	for _, tt := range tests {
		r, err := e.ScanBytes(context.Background(), tt.data, "")
		if err != nil || !r.Infected || r.Names[0] != "Eicar-Test-Signature.UNOFFICIAL" {
			t.Errorf("%s: %v %+v", tt.name, err, r)
		}
	}
}

func nestedZips(t *testing.T, n int) []byte {
	t.Helper()
	d := []byte(eicar)
	for i := 0; i < n; i++ {
		d = zipOf(t, map[string][]byte{"l.zip": d})
	}
	return d
}

// TestRecursionLimit: EICAR is found at exactly MaxRecursion levels; one
// level deeper gives a named limit verdict, never a silent OK.
func TestRecursionLimit(t *testing.T) {
	o := DefaultOptions()
	e := eicarEngine(t, o)
	r, err := e.ScanBytes(context.Background(), nestedZips(t, o.MaxRecursion), "")
	if err != nil || !r.Infected {
		t.Fatalf("at the limit: %v %+v", err, r)
	}
	r, err = e.ScanBytes(context.Background(), nestedZips(t, o.MaxRecursion+1), "")
	if err != nil || r.Infected || r.Heuristic != "Heuristics.Limits.Exceeded.MaxRecursion" {
		t.Fatalf("one deeper: %v %+v", err, r)
	}
}

// TestZipBomb: nested zips of zeros expanding far past the limits stop with
// a Heuristics.Limits.Exceeded verdict.
func TestZipBomb(t *testing.T) {
	zeros := make([]byte, 32<<20)
	inner := zipOf(t, map[string][]byte{"zeros": zeros})
	files := map[string][]byte{}
	for i := 0; i < 16; i++ {
		files[strings.Repeat("z", i+1)] = inner
	}
	bomb := zipOf(t, map[string][]byte{"bomb.zip": zipOf(t, files)})
	o := DefaultOptions()
	o.MaxScanSize = 64 << 20
	r, err := eicarEngine(t, o).ScanBytes(context.Background(), bomb, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Heuristic, "Heuristics.Limits.Exceeded.") || r.Infected {
		t.Fatalf("bomb: %+v", r)
	}
	if r.Scanned > 2*o.MaxScanSize {
		t.Errorf("scanned %d bytes, limit %d", r.Scanned, o.MaxScanSize)
	}
}

func TestTopLevelFileSizeLimit(t *testing.T) {
	o := DefaultOptions()
	o.MaxFileSize = 100
	data := append(bytes.Repeat([]byte("x"), 200), eicar...)
	r, err := eicarEngine(t, o).ScanReader(context.Background(), bytes.NewReader(data), "big")
	if err != nil || r.Heuristic != "Heuristics.Limits.Exceeded.MaxFileSize" || r.Infected {
		t.Fatalf("%v %+v", err, r)
	}
}

// overlapBomb builds a zip whose central directory lists one deflated
// member n times, every entry pointing at the same local data (the
// overlapping-entry zip bomb).
func overlapBomb(t *testing.T, member []byte, n int) []byte {
	t.Helper()
	z := zipOf(t, map[string][]byte{"a": member})
	eocd := bytes.LastIndex(z, []byte("PK\x05\x06"))
	cdOff := int(binary.LittleEndian.Uint32(z[eocd+16:]))
	cd := z[cdOff:eocd]
	out := append([]byte(nil), z[:cdOff]...)
	for i := 0; i < n; i++ {
		out = append(out, cd...)
	}
	end := append([]byte(nil), z[eocd:eocd+22]...)
	binary.LittleEndian.PutUint16(end[8:], uint16(n))
	binary.LittleEndian.PutUint16(end[10:], uint16(n))
	binary.LittleEndian.PutUint32(end[12:], uint32(len(cd)*n))
	return append(out, end...)
}

func TestOverlappingZipBomb(t *testing.T) {
	bomb := overlapBomb(t, make([]byte, 8<<20), 1000) // 8 GB declared
	o := DefaultOptions()
	o.MaxScanSize = 64 << 20
	r, err := eicarEngine(t, o).ScanBytes(context.Background(), bomb, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Heuristic == "" || r.Scanned > 2*o.MaxScanSize {
		t.Fatalf("overlapping bomb: %+v", r)
	}
	// The same trick hiding EICAR is never a silent OK.
	r, err = eicarEngine(t, DefaultOptions()).ScanBytes(context.Background(), overlapBomb(t, []byte(eicar), 50), "")
	if err != nil || (!r.Infected && r.Heuristic == "") {
		t.Fatalf("overlapping EICAR: %v %+v", err, r)
	}
}
