package unpack

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"testing"
	"time"
)

// collect extracts data and returns the members and the error.
func collect(t *testing.T, kind Kind, data []byte, b *Budget) ([]Entry, error) {
	t.Helper()
	var got []Entry
	err := Extract(context.Background(), kind, data, b, func(e Entry) error {
		got = append(got, e)
		return nil
	})
	return got, err
}

func bigBudget() *Budget {
	return NewBudget(64<<20, 256<<20, 10000, 0, time.Now().Add(time.Minute))
}

type file struct {
	name string
	data []byte
}

func makeZip(t testing.TB, method uint16, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeTar(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		tw.Write(f.data)
	}
	tw.Close()
	return buf.Bytes()
}

func makeGzip(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// overlapZip rewrites a one-member zip so that n central directory entries
// all point at the same local header: the overlapping-entry bomb.
func overlapZip(t testing.TB, one []byte, n int) []byte {
	t.Helper()
	cd := bytes.Index(one, []byte("PK\x01\x02"))
	eocd := bytes.LastIndex(one, []byte("PK\x05\x06"))
	if cd < 0 || eocd < 0 {
		t.Fatal("no central directory")
	}
	rec := one[cd:eocd]
	out := append([]byte{}, one[:cd]...)
	for range n {
		out = append(out, rec...)
	}
	end := append([]byte{}, one[eocd:]...)
	binary.LittleEndian.PutUint16(end[8:], uint16(n))
	binary.LittleEndian.PutUint16(end[10:], uint16(n))
	binary.LittleEndian.PutUint32(end[12:], uint32(len(rec)*n))
	binary.LittleEndian.PutUint32(end[16:], uint32(cd))
	return append(out, end...)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
