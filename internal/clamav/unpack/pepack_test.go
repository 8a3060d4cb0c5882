package unpack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testPacked checks that Debian's clamav-testfiles sample of a packer is
// recognised as kind and that unpacking it reaches clam.exe.
func testPacked(t *testing.T, file string, kind Kind) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testfilesDir, file))
	if err != nil {
		t.Skip("clamav-testfiles not installed (scripts/install-deps.sh): ", err)
	}
	if got := Detect(data[:min(len(data), 4096)], file); got != kind {
		t.Fatalf("Detect(%s) = %q, want %q", file, got, kind)
	}
	var trail []string
	if !findClam(t, data, file, 0, &trail) {
		t.Errorf("%s: clam.exe not reached: %v", file, trail)
	}
}

// packedSamples are Debian's clamav-testfiles samples of the packers.
var packedSamples = []string{"clam-petite.exe", "clam-mew.exe", "clam-wwpack.exe", "clam-yc.exe",
	"clam-aspack.exe", "clam-pespin.exe", "clam-upack.exe"}

func TestPetite(t *testing.T) { testPacked(t, "clam-petite.exe", KindPetite) }
func TestMEW(t *testing.T)    { testPacked(t, "clam-mew.exe", KindMEW) }
func TestWWPack(t *testing.T) { testPacked(t, "clam-wwpack.exe", KindWWPack) }
func TestYC(t *testing.T)     { testPacked(t, "clam-yc.exe", KindYC) }
func TestASPack(t *testing.T) { testPacked(t, "clam-aspack.exe", KindASPack) }
func TestPESpin(t *testing.T) { testPacked(t, "clam-pespin.exe", KindPESpin) }
func TestUpack(t *testing.T)  { testPacked(t, "clam-upack.exe", KindUpack) }

// TestPackedAsPE extracts each sample as a plain "pe", as when the entry
// point code lies beyond the head Detect sees: the packer is still found.
func TestPackedAsPE(t *testing.T) {
	for _, file := range packedSamples {
		data, err := os.ReadFile(filepath.Join(testfilesDir, file))
		if err != nil {
			t.Skip("clamav-testfiles not installed (scripts/install-deps.sh): ", err)
		}
		found := false
		b := NewBudget(64<<20, 256<<20, 1000, 0, time.Now().Add(10*time.Second))
		err = Extract(context.Background(), KindPE, data, b, func(e Entry) error {
			var trail []string
			found = found || findClam(t, e.Data, e.Name, 1, &trail)
			return nil
		})
		if err != nil || !found {
			t.Errorf("%s as pe: clam.exe reached %v, err %v", file, found, err)
		}
	}
}

// TestPackedTruncated cuts every packer sample at many lengths: each cut
// must fail or succeed cleanly, never panic.
func TestPackedTruncated(t *testing.T) {
	for _, file := range packedSamples {
		data, err := os.ReadFile(filepath.Join(testfilesDir, file))
		if err != nil {
			t.Skip("clamav-testfiles not installed (scripts/install-deps.sh): ", err)
		}
		kind := Detect(data, file)
		for n := 0; n < len(data); n += 7 {
			fuzzOne(t, kind, data[:n])
		}
	}
}

func FuzzPetite(f *testing.F) { fuzzKind(f, KindPetite) }
func FuzzMEW(f *testing.F)    { fuzzKind(f, KindMEW) }
func FuzzWWPack(f *testing.F) { fuzzKind(f, KindWWPack) }
func FuzzYC(f *testing.F)     { fuzzKind(f, KindYC) }
func FuzzASPack(f *testing.F) { fuzzKind(f, KindASPack) }
func FuzzPESpin(f *testing.F) { fuzzKind(f, KindPESpin) }
func FuzzUpack(f *testing.F)  { fuzzKind(f, KindUpack) }
