package clamav

import (
	"bytes"
	"math/rand"
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
