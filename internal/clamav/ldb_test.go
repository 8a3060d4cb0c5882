package clamav

import (
	"context"
	"encoding/hex"
	"testing"
)

func hx(s string) string { return hex.EncodeToString([]byte(s)) }

func matchLDB(t *testing.T, line string, data string) bool {
	t.Helper()
	b := newBuilder()
	b.files = append(b.files, dbFile{path: "t.ldb", ext: ".ldb", data: []byte(line + "\n"), official: true})
	db := b.build()
	if db.stats.Logical != 1 {
		t.Fatalf("%q: not loaded (malformed %d, skipped %v)", line, db.stats.Malformed, db.stats.SkipReasons)
	}
	r, err := NewEngine(db, DefaultOptions()).ScanBytes(context.Background(), []byte(data), "")
	if err != nil {
		t.Fatal(err)
	}
	return r.Infected
}

func TestLDBLogic(t *testing.T) {
	subs := ";" + hx("alpha") + ";" + hx("bravo") + ";" + hx("charlie")
	tests := []struct {
		tdb, expr string
		data      string
		want      bool
	}{
		{"Target:0", "0&1", "alpha bravo", true},
		{"Target:0", "0&1", "alpha only", false},
		{"Target:0", "0|1", "just bravo", true},
		{"Target:0", "0&(1|2)", "alpha charlie", true},
		{"Target:0", "0&(1|2)", "bravo charlie", false},
		{"Target:0", "0|1&2", "alpha", true}, // & binds tighter
		{"Target:0", "(0|1)&2", "alpha", false},
		{"Target:0", "0=2", "alpha alpha", true},
		{"Target:0", "0=2", "alpha alpha alpha", false},
		{"Target:0", "0>2", "alpha alpha alpha", true},
		{"Target:0", "0<2&1", "alpha bravo", true},
		{"Target:0", "0<2&1", "alpha alpha bravo", false},
		{"Target:0", "(0|1|2)>2", "alpha bravo charlie", true},
		{"Target:0", "(0|1|2)>2,2", "alpha alpha alpha alpha", false},
		{"Target:0", "(0|1|2)>2,2", "alpha alpha alpha bravo", true},
		{"Target:0,FileSize:0-10", "0", "alpha and more", false},
		{"Target:0,FileSize:0-100", "0", "alpha and more", true},
		{"Engine:51-255,Target:0", "0&1", "alpha bravo", true},
		{"Target:1", "0", "alpha", false}, // not a PE
	}
	for _, tt := range tests {
		line := "Test.Logic;" + tt.tdb + ";" + tt.expr + subs
		if got := matchLDB(t, line, tt.data); got != tt.want {
			t.Errorf("%s %s on %q: got %v, want %v", tt.tdb, tt.expr, tt.data, got, tt.want)
		}
	}
}

func TestLDBModifiers(t *testing.T) {
	tests := []struct {
		sub  string
		data string
		want bool
	}{
		{hx("evil") + "::i", "xx EVIL xx", true},
		{hx("evil"), "xx EVIL xx", false},
		{hx("evil") + "::w", "e\x00v\x00i\x00l\x00", true},
		{hx("evil") + "::w", "evil", false},
		{hx("evil") + "::wa", "evil", true},
		{hx("evil") + "::wa", "e\x00v\x00i\x00l\x00", true},
		{hx("evil") + "::f", "an evil thing", true},
		{hx("evil") + "::f", "devilish", false},
		{hx("evil") + "::fi", "an EVIL, thing", true},
		{"2:" + hx("evil"), "xxevil", true},
		{"3:" + hx("evil"), "xxevil", false},
	}
	for _, tt := range tests {
		line := "Test.Mod;Target:0;0;" + tt.sub
		if got := matchLDB(t, line, tt.data); got != tt.want {
			t.Errorf("%s on %q: got %v, want %v", tt.sub, tt.data, got, tt.want)
		}
	}
}

func TestLDBSkipsAndRejects(t *testing.T) {
	skip := []string{
		"X;Target:0;0;0/evil/i",                   // PCRE
		"X;Engine:999-1000,Target:0;0;41424344",   // newer flevel
		"X;Target:0,Container:CL_TYPE_ZIP;0;4142", // unsupported TDB key
		"X;Target:20;0;41424344",                  // unknown target type
	}
	for _, line := range skip {
		if _, err := parseLDBLine(line); !isSkip(err) {
			t.Errorf("%q: want skip, got %v", line, err)
		}
	}
	bad := []string{
		"X;Target:0;0&1;41424344",  // expression uses a missing subsig
		"X;Target:0;0&;41424344",   // dangling operator
		"X;Target:0;(0;41424344",   // unclosed group
		"X;Bogus:1;0;41424344",     // unknown key
		"X;Engine:51-255;0;414243", // no Target
		"X;Target:0;0",             // no subsignature
		"X;Target:0;0;41424344::z", // unknown modifier
	}
	for _, line := range bad {
		if _, err := parseLDBLine(line); err == nil || isSkip(err) {
			t.Errorf("%q: want error, got %v", line, err)
		}
	}
}
