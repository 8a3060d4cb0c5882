package unpack

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"testing"
	"time"
)

func benchExtract(b *testing.B, kind Kind, data []byte, budget func() *Budget) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		Extract(context.Background(), kind, data, budget(), func(Entry) error { return nil })
	}
}

func textLike(n int) []byte {
	var buf bytes.Buffer
	for i := 0; buf.Len() < n; i++ {
		fmt.Fprintf(&buf, "line %d: the quick brown fox %x jumps over the lazy dog\n", i, i*7919)
	}
	return buf.Bytes()[:n]
}

func BenchmarkZipDeflate1MiB(b *testing.B) {
	data := makeZip(b, 8, file{"a.txt", textLike(1 << 20)})
	benchExtract(b, KindZip, data, bigBudget)
}

func BenchmarkTar1MiB(b *testing.B) {
	benchExtract(b, KindTar, makeTar(b, file{"a", textLike(1 << 20)}), bigBudget)
}

// BenchmarkInflateOurs measures the deflate64 decoder in plain mode
// (MB/s of output), for comparison with BenchmarkInflateStdlib.
func BenchmarkInflateOurs(b *testing.B) {
	src := textLike(1 << 20)
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	w.Write(src)
	w.Close()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		var out bytes.Buffer
		out.ReadFrom(newInflater(bytes.NewReader(buf.Bytes()), false))
	}
}

func BenchmarkInflateStdlib(b *testing.B) {
	src := textLike(1 << 20)
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	w.Write(src)
	w.Close()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		var out bytes.Buffer
		out.ReadFrom(flate.NewReader(bytes.NewReader(buf.Bytes())))
	}
}

// BenchmarkOverlapBomb: 1000 directory entries over one 8 MiB member;
// refused before decompression.
func BenchmarkOverlapBomb(b *testing.B) {
	data := overlapZip(b, makeZip(b, 8, file{"z", make([]byte, 8<<20)}), 1000)
	benchExtract(b, KindZip, data, bigBudget)
}

// BenchmarkRatioBomb: one gzip of 64 MiB of zeros under MaxRatio 100.
func BenchmarkRatioBomb(b *testing.B) {
	data := makeGzip(b, make([]byte, 64<<20))
	benchExtract(b, KindGzip, data, func() *Budget { return NewBudget(0, 0, 0, 100, time.Time{}) })
}
