package clamav

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

const testfilesDir = "/usr/share/clamav-testfiles"

// TestClamavTestfiles scans Debian's clamav-testfiles with only clam.exe's
// MD5, as the acceptance does, and logs what is missed.
func TestClamavTestfiles(t *testing.T) {
	ents, err := os.ReadDir(testfilesDir)
	if err != nil {
		t.Skip("clamav-testfiles not installed: ", err)
	}
	db := writeDB(t, map[string]string{"t.hdb": "aa15bcf478d165efd2065190eb473bcb:544:Test.ClamExe.HDB\n"})
	e := NewEngine(db, DefaultOptions())
	var found, missed []string
	for _, ent := range ents {
		p := filepath.Join(testfilesDir, ent.Name())
		r, err := e.ScanFile(context.Background(), p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if r.Infected {
			found = append(found, ent.Name())
		} else {
			missed = append(missed, ent.Name()+"("+r.Heuristic+")")
		}
	}
	sort.Strings(missed)
	t.Logf("found %d of %d; missed: %v", len(found), len(ents), missed)
	if len(found) == 0 {
		t.Error("nothing found")
	}
}
