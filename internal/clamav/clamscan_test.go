package clamav

import (
	"bufio"
	"bytes"
	"context"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runClamscan scans dir with real clamscan and the database db, returning
// file name -> signature for every FOUND line.
func runClamscan(t *testing.T, db, dir string) map[string]string {
	t.Helper()
	bin, err := exec.LookPath("clamscan")
	if err != nil {
		t.Skip("clamscan not installed: ", err)
	}
	out, err := exec.Command(bin, "--no-summary", "--infected", "-d", db, "-r", dir).Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() > 1) {
		t.Fatalf("clamscan: %v", err)
	}
	found := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutSuffix(line, " FOUND"); ok {
			if i := strings.LastIndex(name, ": "); i > 0 {
				found[filepath.Base(name[:i])] = name[i+2:]
			}
		}
	}
	return found
}

func scanDir(t *testing.T, e *Engine, dir string) map[string]string {
	t.Helper()
	found := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range ents {
		r, err := e.ScanFile(context.Background(), filepath.Join(dir, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if r.Infected {
			found[ent.Name()] = r.Names[0]
		}
	}
	return found
}

// TestCompareClamscanTestfiles: on clamav-testfiles with clam.exe's MD5,
// everything the engine finds clamscan finds under the same name; what
// clamscan finds and the engine misses is logged (unpackers still to come).
func TestCompareClamscanTestfiles(t *testing.T) {
	if _, err := os.Stat(testfilesDir); err != nil {
		t.Skip("clamav-testfiles not installed: ", err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "t.hdb")
	os.WriteFile(db, []byte("aa15bcf478d165efd2065190eb473bcb:544:Test.ClamExe.HDB\n"), 0o644)
	want := runClamscan(t, db, testfilesDir)
	e, err := LoadFiles(db)
	if err != nil {
		t.Fatal(err)
	}
	got := scanDir(t, NewEngine(e, DefaultOptions()), testfilesDir)
	var missed []string
	for f, name := range want {
		if got[f] == "" {
			missed = append(missed, f)
		} else if got[f] != name {
			t.Errorf("%s: engine %q, clamscan %q", f, got[f], name)
		}
	}
	for f, name := range got {
		if want[f] == "" {
			t.Errorf("%s: engine found %q, clamscan nothing", f, name)
		}
	}
	t.Logf("clamscan %d, engine %d; engine misses %v", len(want), len(got), missed)
}

// TestCompareClamscanClean: a generated corpus of clean files (binary,
// text, HTML, mail, PE-like) gives no detection from either.
func TestCompareClamscanClean(t *testing.T) {
	dir := t.TempDir()
	dbDir := t.TempDir()
	genBenchDB(t, dbDir, 2000, 100, 2000)
	corpus := filepath.Join(dir, "corpus")
	os.Mkdir(corpus, 0o755)
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 40; i++ {
		var data []byte
		switch i % 5 {
		case 0:
			data = make([]byte, 4096+r.Intn(65536))
			r.Read(data)
		case 1:
			data = []byte(strings.Repeat("The quick brown fox jumps over the lazy dog.\n", 50+r.Intn(500)))
		case 2:
			data = []byte("<html><body>" + strings.Repeat("<p>Hello &amp; <b>world</b></p>\n", 50+r.Intn(500)) + "</body></html>")
		case 3:
			data = []byte("From: a@example.com\nSubject: hi\n\n" + strings.Repeat("plain body line\n", 100))
		case 4:
			data = buildPE(t, []byte("\x55\x89\xe5\x90\x90\xc3"))
		}
		os.WriteFile(filepath.Join(corpus, "f"+string(rune('a'+i%26))+strings.Repeat("x", i/26)), data, 0o644)
	}
	var dbs []string
	for _, n := range []string{"bench.ndb", "bench.ldb", "bench.hdb"} {
		dbs = append(dbs, filepath.Join(dbDir, n))
	}
	want := map[string]string{}
	for _, d := range dbs {
		for f, n := range runClamscan(t, d, corpus) {
			want[f] = n
		}
	}
	db, err := Load(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	got := scanDir(t, NewEngine(db, DefaultOptions()), corpus)
	if len(got) != 0 || len(want) != 0 {
		t.Errorf("false positives: engine %v, clamscan %v", got, want)
	}
}
