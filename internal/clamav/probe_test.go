package clamav

import (
	"context"
	"math/rand"
	"strings"
	"testing"
)

func probeDB(t testing.TB) *DB {
	b := newBuilder()
	b.files = append(b.files, dbFile{path: "p.ndb", ext: ".ndb", official: true, data: []byte(
		"Long:7:*:" + hx("malicious payload") + "\n" +
			"Gap:7:*:" + hx("download") + "*" + hx("execute now") + "\n" +
			"Head:7:0:" + hx("#!evil") + "*" + hx("run") + "\n" +
			"Near:7:2:" + hx("zz top") + "\n")})
	db := b.build()
	if !db.textProbe {
		t.Fatal("text matcher not probeable")
	}
	return db
}

// scanBoth scans d with and without the probe and fails if they differ.
func scanBoth(t *testing.T, db *DB, d []byte) bool {
	t.Helper()
	e := NewEngine(db, DefaultOptions())
	r1, err1 := e.ScanBytes(context.Background(), d, "")
	db.textProbe = false
	r2, err2 := e.ScanBytes(context.Background(), d, "")
	db.textProbe = true
	if err1 != nil || err2 != nil || r1.Infected != r2.Infected {
		t.Fatalf("%q: probe %v %+v, no probe %v %+v", d, err1, r1, err2, r2)
	}
	return r1.Infected
}

func TestTextProbe(t *testing.T) {
	db := probeDB(t)
	tests := []struct {
		text string
		want bool
	}{
		{"nothing here at all", false},
		{"some   MALICIOUS\r\n\tPayload text", true},
		{"please Download it and then execute  NOW", true},
		{"#!EVIL script\n" + strings.Repeat("filler ", 2000) + "run", true},
		{"#!evil script" + strings.Repeat(" filler", 2000), false},
		{"  ZZ  Top", false}, // normalised: "zz top" at 0, not 2
		{"a  ZZ  Top", true}, // "a zz top": at 2
	}
	for _, tt := range tests {
		if got := scanBoth(t, db, []byte(tt.text)); got != tt.want {
			t.Errorf("%q: got %v, want %v", tt.text, got, tt.want)
		}
	}
	r := rand.New(rand.NewSource(5))
	words := []string{"malicious", "payload", "download", "execute", "now", "#!evil", "run", "zz", "top", " ", "\t", "\r\n", "X", "  "}
	for i := 0; i < 300; i++ {
		var sb strings.Builder
		for k := r.Intn(40); k > 0; k-- {
			sb.WriteString(words[r.Intn(len(words))])
			if r.Intn(2) == 0 {
				sb.WriteByte(' ')
			}
		}
		scanBoth(t, db, []byte(sb.String()))
	}
}

func FuzzTextProbe(f *testing.F) {
	f.Add([]byte("some malicious  payload"))
	f.Add([]byte("#!evil x run"))
	db := probeDB(f)
	f.Fuzz(func(t *testing.T, d []byte) {
		if fileType(d) == targetText {
			scanBoth(t, db, d)
		}
	})
}
