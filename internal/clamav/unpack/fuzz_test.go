package unpack

import (
	"context"
	"testing"
	"time"
)

// fuzzOne runs one extraction under a small budget; anything but a panic
// or a hang is acceptable.
func fuzzOne(t testing.TB, kind Kind, data []byte) {
	t.Helper()
	b := NewBudget(1<<20, 4<<20, 200, 200, time.Now().Add(2*time.Second))
	Extract(context.Background(), kind, data, b, func(Entry) error { return nil })
}

func fuzzKind(f *testing.F, kind Kind) {
	for name, d := range seedCorpus(f) {
		if Detect(d, name) == kind {
			f.Add(d)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, kind, data) })
}

func FuzzZip(f *testing.F)    { fuzzKind(f, KindZip) }
func FuzzGzip(f *testing.F)   { fuzzKind(f, KindGzip) }
func FuzzBzip2(f *testing.F)  { fuzzKind(f, KindBzip2) }
func FuzzXz(f *testing.F)     { fuzzKind(f, KindXz) }
func FuzzTar(f *testing.F)    { fuzzKind(f, KindTar) }
func Fuzz7z(f *testing.F)     { fuzzKind(f, Kind7z) }
func FuzzRar(f *testing.F)    { fuzzKind(f, KindRar) }
func FuzzArj(f *testing.F)    { fuzzKind(f, KindArj) }
func FuzzCpio(f *testing.F)   { fuzzKind(f, KindCpio) }
func FuzzCab(f *testing.F)    { fuzzKind(f, KindCab) }
func FuzzChm(f *testing.F)    { fuzzKind(f, KindChm) }
func FuzzOLE2(f *testing.F)   { fuzzKind(f, KindOLE2) }
func FuzzMail(f *testing.F)   { fuzzKind(f, KindMail) }
func FuzzUU(f *testing.F)     { fuzzKind(f, KindUU) }
func FuzzBinhex(f *testing.F) { fuzzKind(f, KindBinhex) }
func FuzzHTML(f *testing.F)   { fuzzKind(f, KindHTML) }
func FuzzRTF(f *testing.F)    { fuzzKind(f, KindRTF) }
func FuzzPDF(f *testing.F)    { fuzzKind(f, KindPDF) }
func FuzzSZDD(f *testing.F)   { fuzzKind(f, KindSZDD) }
func FuzzTNEF(f *testing.F)   { fuzzKind(f, KindTNEF) }
func FuzzSIS(f *testing.F)    { fuzzKind(f, KindSIS) }
func FuzzUPX(f *testing.F)    { fuzzKind(f, KindUPX) }
func FuzzPE(f *testing.F)     { fuzzKind(f, KindPE) }

func FuzzDetect(f *testing.F) {
	for name, d := range seedCorpus(f) {
		f.Add(d, name)
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) { Detect(data, name) })
}

// FuzzDeflate64 drives the inflater in both modes directly.
func FuzzDeflate64(f *testing.F) {
	f.Add([]byte{0x4b, 0x4c, 0x4a, 0x06, 0x00}, true)
	f.Fuzz(func(t *testing.T, data []byte, d64 bool) {
		b := NewBudget(1<<20, 0, 0, 0, time.Time{})
		x := &run{b: b, in: int64(len(data)), emit: func(Entry) error { return nil }}
		x.read(context.Background(), newInflater(bytesReader(data), d64), -1)
	})
}

// FuzzImplode drives the exploder with each flag combination.
func FuzzImplode(f *testing.F) {
	f.Add([]byte{0x00, 0x00, 0x00, 0x00}, uint16(6))
	f.Fuzz(func(t *testing.T, data []byte, flags uint16) {
		b := NewBudget(1<<20, 0, 0, 0, time.Time{})
		x := &run{b: b, in: int64(len(data)), emit: func(Entry) error { return nil }}
		x.read(context.Background(), newExploder(bytesReader(data), flags, 1<<20), -1)
	})
}

// FuzzVBA drives the MS-OVBA decompressor directly.
func FuzzVBA(f *testing.F) {
	f.Add([]byte{0x01, 0x05, 0xb0, 0x08, 'a', 'b', 'c', 0x03, 0x20})
	f.Fuzz(func(t *testing.T, data []byte) { vbaDecompress(data, 1<<20) })
}
