package clamav

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

func TestHashSigs(t *testing.T) {
	data := []byte("some malicious payload")
	m, s1, s2 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data)
	size := len(data)
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"md5", map[string]string{"a.hdb": fmt.Sprintf("%x:%d:Md5.Sig\n", m, size)}, "Md5.Sig.UNOFFICIAL"},
		{"md5 wrong size", map[string]string{"a.hdb": fmt.Sprintf("%x:%d:Md5.Sig\n", m, size+1)}, ""},
		{"md5 any size", map[string]string{"a.hdb": fmt.Sprintf("%x:*:Md5.Any:73\n", m)}, "Md5.Any.UNOFFICIAL"},
		{"sha1", map[string]string{"a.hsb": fmt.Sprintf("%x:%d:Sha1.Sig\n", s1, size)}, "Sha1.Sig.UNOFFICIAL"},
		{"sha256", map[string]string{"a.hsb": fmt.Sprintf("%x:%d:Sha256.Sig\n", s2, size)}, "Sha256.Sig.UNOFFICIAL"},
		{"fp allows", map[string]string{
			"a.hdb": fmt.Sprintf("%x:%d:Md5.Sig\n", m, size),
			"a.fp":  fmt.Sprintf("%x:%d:Allowed\n", m, size)}, ""},
		{"sfp allows", map[string]string{
			"a.ndb": "Body.Sig:0:*:" + hex.EncodeToString([]byte("malicious")) + "\n",
			"a.sfp": fmt.Sprintf("%x:%d:Allowed\n", s2, size)}, ""},
		{"ign2 drops", map[string]string{
			"a.hdb":  fmt.Sprintf("%x:%d:Md5.Sig\n", m, size),
			"a.ign2": "Md5.Sig\n"}, ""},
		{"ign2 drops ndb, keeps other", map[string]string{
			"a.ndb":  "Body.Sig:0:*:" + hex.EncodeToString([]byte("malicious")) + "\nBody.Two:0:*:" + hex.EncodeToString([]byte("payload")) + "\n",
			"a.ign2": "# comment\nBody.Sig\n"}, "Body.Two.UNOFFICIAL"},
		{"newer flevel skipped", map[string]string{"a.hdb": fmt.Sprintf("%x:%d:Md5.Sig:999\n", m, size)}, ""},
	}
	for _, tt := range tests {
		db := writeDB(t, tt.files)
		if got := scanName(t, NewEngine(db, DefaultOptions()), data); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSectionHash(t *testing.T) {
	pe := buildPE(t, []byte("section code"))
	sec := pe[0x200:0x400]
	line := fmt.Sprintf("%d:%x:Section.Sig\n", len(sec), md5.Sum(sec))
	db := writeDB(t, map[string]string{"a.mdb": line})
	if got := scanName(t, NewEngine(db, DefaultOptions()), pe); got != "Section.Sig.UNOFFICIAL" {
		t.Errorf("got %q", got)
	}
	s := db.Stats()
	if s.Section != 1 || db.Signatures() != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestStatsAndLint(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.ndb": "Good:0:*:41424344\nBad:0:*:4\nNew:0:*:41424344:999\n",
		"a.ldb": "Pcre;Target:0;0;0/x/\n",
		"a.wdb": "X:Y:Z\n",
	}
	writeFiles(t, dir, files)
	db, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := db.Stats()
	if s.Body != 1 || s.Malformed != 1 || s.Skipped != 3 || s.SkipReasons["PCRE subsignature"] != 1 || s.SkipReasons["unsupported file .wdb"] != 1 {
		t.Errorf("stats %+v", s)
	}
	issues := Lint(dir)
	var got []string
	for _, i := range issues {
		got = append(got, i.Severity.String()+" "+i.String())
	}
	want := map[string]bool{
		"error " + dir + "/a.ndb:2: signature: odd hex digit at \"4\"":        true,
		"notice " + dir + "/a.ndb:3: skipped: flevel 999":                     true,
		"notice " + dir + "/a.ldb:1: skipped: PCRE subsignature":              true,
		"notice " + dir + "/a.wdb:0: unsupported database type .wdb, skipped": true,
	}
	if len(got) != len(want) {
		t.Fatalf("lint: %q", got)
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected lint line %q", g)
		}
	}
}

func TestAllMatch(t *testing.T) {
	data := []byte("alpha bravo")
	db := writeDB(t, map[string]string{"a.ndb": "A:0:*:" + hx("alpha") + "\nB:0:*:" + hx("bravo") + "\n"})
	o := DefaultOptions()
	o.AllMatch = true
	r, err := NewEngine(db, o).ScanBytes(context.Background(), data, "")
	if err != nil || len(r.Names) != 2 {
		t.Fatalf("allmatch: %v %+v", err, r)
	}
	if got := scanName(t, NewEngine(db, DefaultOptions()), data); got != "A.UNOFFICIAL" && got != "B.UNOFFICIAL" {
		t.Errorf("first match: %q", got)
	}
}

// TestReportOrder: like clamscan, body signatures come before hash
// signatures and logical signatures last.
func TestReportOrder(t *testing.T) {
	files := map[string]string{
		"e.hdb": fmt.Sprintf("%x:%d:Eicar.HDB\n", md5.Sum([]byte(eicar)), len(eicar)),
		"e.ndb": "Eicar-Test-Signature:0:*:" + hx(eicar) + "\n",
		"e.ldb": "Eicar.LDB;Target:0;0;" + hx(eicar[:20]) + "\n",
	}
	db := writeDB(t, files)
	o := DefaultOptions()
	o.AllMatch = true
	r, err := NewEngine(db, o).ScanBytes(context.Background(), []byte(eicar), "")
	want := "Eicar-Test-Signature.UNOFFICIAL,Eicar.HDB.UNOFFICIAL,Eicar.LDB.UNOFFICIAL"
	if err != nil || strings.Join(r.Names, ",") != want {
		t.Errorf("allmatch: %v %q", err, r.Names)
	}
	delete(files, "e.ndb")
	if got := scanName(t, NewEngine(writeDB(t, files), DefaultOptions()), []byte(eicar)); got != "Eicar.HDB.UNOFFICIAL" {
		t.Errorf("first: %q", got)
	}
}

func TestOverlongLine(t *testing.T) {
	b := newBuilder()
	long := "X:0:*:" + strings.Repeat("41", maxLine)
	b.files = append(b.files, dbFile{path: "t.ndb", ext: ".ndb", data: []byte("A:0:*:41424344\n" + long + "\nB:0:*:45464748\n")})
	db := b.build()
	if db.stats.Body != 1 || db.stats.Malformed != 1 {
		t.Errorf("stats %+v", db.stats)
	}
}
