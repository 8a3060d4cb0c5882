package unpack

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

const (
	testfilesDir = "/usr/share/clamav-testfiles"
	clamExeMD5   = "aa15bcf478d165efd2065190eb473bcb"
)

// findClam extracts data recursively (depth-bounded, as the engine does) and
// reports whether any level yields clam.exe's bytes, plus the kinds walked.
func findClam(t *testing.T, data []byte, name string, depth int, trail *[]string) bool {
	t.Helper()
	if sum := md5.Sum(data); hex.EncodeToString(sum[:]) == clamExeMD5 {
		return true
	}
	if depth > 24 {
		return false
	}
	kind := Detect(data, name)
	if kind == KindNone {
		return false
	}
	*trail = append(*trail, string(kind))
	b := NewBudget(64<<20, 256<<20, 1000, 0, time.Now().Add(10*time.Second))
	found := false
	err := Extract(context.Background(), kind, data, b, func(e Entry) error {
		if !found && !e.Encrypted && findClam(t, e.Data, e.Name, depth+1, trail) {
			found = true
		}
		return nil
	})
	if err != nil {
		*trail = append(*trail, "error: "+err.Error())
	}
	return found
}

// TestClamTestfiles lists which of Debian's clamav-testfiles yield clam.exe.
func TestClamTestfiles(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(testfilesDir, "clam*"))
	if len(paths) == 0 {
		t.Skip("clamav-testfiles not installed: " + testfilesDir)
	}
	sort.Strings(paths)
	var hit, miss []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var trail []string
		base := filepath.Base(p)
		if findClam(t, data, base, 0, &trail) {
			hit = append(hit, base)
			t.Logf("found  %-24s %v", base, trail)
		} else {
			miss = append(miss, base)
			t.Logf("MISSED %-24s %v", base, trail)
		}
	}
	t.Logf("%d of %d reach clam.exe; missed: %v", len(hit), len(paths), miss)
	for _, must := range mustFind {
		if !bytes.Contains([]byte(" "+joinNames(hit)+" "), []byte(" "+must+" ")) {
			t.Errorf("%s: clam.exe not reached", must)
		}
	}
}

func joinNames(n []string) string {
	var b bytes.Buffer
	for _, s := range n {
		b.WriteString(s + " ")
	}
	return b.String()
}

// mustFind are the samples known to work (the 28 container and encoding
// files of the acceptance list, UPX, the PE packers of pepack.go, two
// droppers carrying clam.exe as an embedded PE, the AutoIt scripts and
// the InstallShield setups); the test guards them.
var mustFind = []string{
	"clam.7z", "clam.arj", "clam.bin-be.cpio", "clam.bin-le.cpio", "clam.bz2.zip", "clam.cab", "clam.chm",
	"clam.d64.zip", "clam.exe", "clam.exe.binhex", "clam.exe.bz2", "clam.exe.html", "clam.exe.mbox.base64",
	"clam.exe.mbox.uu", "clam.exe.rtf", "clam.exe.szdd", "clam.impl.zip", "clam.mail", "clam.newc.cpio",
	"clam.odc.cpio", "clam.ole.doc", "clam.pdf", "clam.ppt", "clam.sis", "clam.tar.gz", "clam.tnef",
	"clam.zip", "clam_cache_emax.tgz", "clam-upx.exe", "clam-fsg.exe", "clam_IScab_ext.exe", "clam-nsis.exe",
	"clam-petite.exe", "clam-mew.exe", "clam-wwpack.exe", "clam-yc.exe", "clam.ea05.exe", "clam.ea06.exe",
	"clam-aspack.exe", "clam-pespin.exe", "clam-upack.exe",
	"clam_IScab_int.exe", "clam_ISmsi_ext.exe", "clam_ISmsi_int.exe",
}
