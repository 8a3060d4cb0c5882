package clamav

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"math/bits"
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

// TestHashDuplicatesAndNames: of two lines with one size and digest the
// later names the match, before and after the tables are sorted, and the
// arena gives back ".UNOFFICIAL" names whole.
func TestHashDuplicatesAndNames(t *testing.T) {
	sum := fmt.Sprintf("%x", md5.Sum([]byte(eicar)))
	lines := []string{sum + ":68:First", sum + ":68:Second.UNOFFICIAL", sum + ":*:Any", "00112233445566778899aabbccddeeff:68:Other"}
	var h hashSet
	for _, l := range lines {
		e, err := parseHashLine(l, false)
		if err != nil {
			t.Fatal(err)
		}
		h.add(e)
	}
	for _, sorted := range []bool{false, true} {
		if sorted {
			h.finish()
		}
		var sums fileSums
		if n, ok := h.lookup([]byte(eicar), &sums); !ok || n != "Second.UNOFFICIAL" {
			t.Fatalf("sorted=%v: %q %v", sorted, n, ok)
		}
		var sums2 fileSums
		if n, ok := h.lookup([]byte(eicar+"x"), &sums2); ok {
			t.Fatalf("sorted=%v: other size found %q", sorted, n)
		}
	}
	if h.n != 3 {
		t.Fatalf("n = %d, want 3 distinct entries", h.n)
	}
	var sums fileSums
	other := []byte(strings.Repeat("y", 10))
	h2 := hashSet{}
	e, _ := parseHashLine(fmt.Sprintf("%x:*:AnySize", md5.Sum(other)), false)
	h2.add(e)
	h2.finish()
	if n, ok := h2.lookup(other, &sums); !ok || n != "AnySize" {
		t.Fatalf("any-size entry: %q %v", n, ok)
	}
}

// TestProbeTextMatchesNormText: probing the raw text finds an anchor
// exactly when a strided window of normText's output is one, whatever the
// mix of case, whitespace runs, control and high bytes.
func TestProbeTextMatchesNormText(t *testing.T) {
	ndb := ""
	for i, s := range []string{"hello world", "quick brown fox", "a b c d e f", "zz top!", "over the lazy"} {
		ndb += fmt.Sprintf("T%d:7:*:%s\n", i, hx(s))
	}
	db := writeDB(t, map[string]string{"t.ndb": ndb})
	m := db.text
	if !db.textProbe {
		t.Fatal("text matcher not probeable")
	}
	ref := func(d []byte) bool {
		out := normText(nil, d)
		for e := 0; e+4 <= len(out); e += stride {
			if w := binary.LittleEndian.Uint32(out[e:]); m.strided.pass(w) && m.strided.holds(w) {
				return true
			}
		}
		return false
	}
	r := rand.New(rand.NewSource(11))
	pieces := []string{"Hello", "WORLD", "world", " ", "  ", "\t", "\r\n", "\v\f", "quick", "BROWN", "Fox", "zz", "TOP!", "\x00", "\x08",
		"\x1f", "\x80\xff", "é", "over", "the", "LAZY", "a", "b", "c", "xxxxxxxxxxxx", "AbCdEfGhIjKl", "@[`{"}
	hits := 0
	for i := 0; i < 4000; i++ {
		var b bytes.Buffer
		for k := r.Intn(30); k > 0; k-- {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		got, want := m.probeText(b.Bytes()), ref(b.Bytes())
		if got != want {
			t.Fatalf("probeText(%q) = %v, want %v", b.Bytes(), got, want)
		}
		if got {
			hits++
		}
	}
	if hits == 0 {
		t.Fatal("no input probed positive")
	}
	for i := 0; i < 100000; i++ {
		var b [8]byte
		r.Read(b[:])
		x := binary.LittleEndian.Uint64(b[:])
		first, up := -1, upperBytes(x)
		for k, c := range b {
			if c < '!' && first < 0 {
				first = k
			}
			if isUp := c >= 'A' && c <= 'Z'; byte(up>>(8*k)) != map[bool]byte{true: 0x80}[isUp] {
				t.Fatalf("upperBytes(%x) byte %d", b, k)
			}
		}
		if low := bytesBelow(x, '!'); (low == 0) != (first < 0) || low != 0 && bits.TrailingZeros64(low)>>3 != first {
			t.Fatalf("bytesBelow(%x) = %x, first low byte %d", b, low, first)
		}
	}
	for c := 0; c < 256; c++ {
		x := uint64(c) * ones8
		if (bytesBelow(x, '!') != 0) != (c < '!') || (upperBytes(x) != 0) != (c >= 'A' && c <= 'Z') {
			t.Fatalf("byte %#x misclassified", c)
		}
	}
}

// TestNormHTMLOnePass: the one-pass normHTML equals decoding comments and
// references first and normText after.
func TestNormHTMLOnePass(t *testing.T) {
	ref := func(d []byte) []byte {
		var out []byte
		for i := 0; i < len(d); {
			c := d[i]
			switch {
			case c == '<' && bytes.HasPrefix(d[i:], []byte("<!--")):
				end := bytes.Index(d[i+4:], []byte("-->"))
				if end < 0 {
					i = len(d)
				} else {
					i += 4 + end + 3
				}
				continue
			case c == '&':
				if b, n := decodeEntity(d[i:]); n > 0 {
					out = append(out, b)
					i += n
					continue
				}
			}
			out = append(out, c)
			i++
		}
		return normText(nil, out)
	}
	r := rand.New(rand.NewSource(13))
	pieces := []string{"<!--", "-->", "<!-- x -->", "&amp;", "&nbsp;", "&#65;", "&#x42;", "&#32;", "&lt;", "&bogus;", "&", ";", " ", "\t\n",
		"<P>", "Hello", "WORLD", "<b>", "\x00", "\xc4\xb0", "a", "&#x0a;"}
	buf := []byte("scratch")
	for i := 0; i < 5000; i++ {
		var b bytes.Buffer
		for k := r.Intn(25); k > 0; k-- {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		buf = normHTML(buf, b.Bytes())
		if want := ref(b.Bytes()); !bytes.Equal(buf, want) {
			t.Fatalf("normHTML(%q) = %q, want %q", b.Bytes(), buf, want)
		}
	}
}
