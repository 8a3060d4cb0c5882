package clamav

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

// TestIsHTMLFoldMatchesLowerCasing: the in-place ASCII folding finds the
// marks a lower-cased copy does.
func TestIsHTMLFoldMatchesLowerCasing(t *testing.T) {
	ref := func(head []byte) bool {
		l := bytes.ToLower(head)
		for _, m := range htmlMarks {
			if bytes.Contains(l, m) {
				return true
			}
		}
		return false
	}
	r := rand.New(rand.NewSource(9))
	pieces := []string{"<", "<HTML", "<!DOCTYPE Html", "<!doctype  html", "<hEaD", "<Body>", "<scrIPT", "<iframe", "<META", "<TiTlE",
		"<\xc4\xb0frame", "<html\xe2\x84\xaa", "\xff", "\xc3\xa9", "text ", "<p>", "<<", "html", "<ht"}
	for i := 0; i < 5000; i++ {
		var b bytes.Buffer
		for k := r.Intn(12); k > 0; k-- {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		if got, want := isHTML(b.Bytes()), ref(b.Bytes()); got != want {
			t.Fatalf("isHTML(%q) = %v, want %v", b.Bytes(), got, want)
		}
	}
}

// TestFixedSignaturesByFirstByte: fixed-offset signatures found through
// the first-byte index report in database order, beside the ones that are
// not indexed (EOF offsets, nibble first bytes, ranges).
func TestFixedSignaturesByFirstByte(t *testing.T) {
	data := []byte("MAGIC-HEADER then some body and a TRAILER")
	ndb := strings.Join([]string{
		"A.Eof:0:EOF-7:" + hx("TRAILER"),
		"B.Abs0:0:0:" + hx("MAGIC-"),
		"C.Nibble:0:0:4?" + hx("AGIC"),
		"D.Abs6:0:6:" + hx("HEADER"),
		"E.Miss:0:0:" + hx("MAGIX"),
		"F.Range:0:5,3:" + hx("-HEAD"),
		"G.Abs0b:0:0:" + hx("MAG"),
		"H.Past:0:4096:" + hx("MAG"),
	}, "\n") + "\n"
	db := writeDB(t, map[string]string{"t.ndb": ndb})
	o := DefaultOptions()
	o.AllMatch = true
	got := scanName(t, NewEngine(db, o), data)
	want := "A.Eof.UNOFFICIAL,B.Abs0.UNOFFICIAL,C.Nibble.UNOFFICIAL,D.Abs6.UNOFFICIAL,F.Range.UNOFFICIAL,G.Abs0b.UNOFFICIAL"
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got := scanName(t, NewEngine(db, DefaultOptions()), data); got != "A.Eof.UNOFFICIAL" {
		t.Fatalf("first match %s", got)
	}
}
