package clamav

import (
	"context"
	"testing"
)

// matchSig compiles one ndb line into a DB and reports whether data matches.
func matchSig(t *testing.T, line string, data []byte) bool {
	t.Helper()
	b := newBuilder()
	b.files = append(b.files, dbFile{path: "t.ndb", ext: ".ndb", data: []byte(line + "\n"), official: true})
	db := b.build()
	if db.stats.Body != 1 {
		t.Fatalf("%q: not loaded (malformed %d, skipped %v)", line, db.stats.Malformed, db.stats.SkipReasons)
	}
	r, err := NewEngine(db, DefaultOptions()).ScanBytes(context.Background(), data, "")
	if err != nil {
		t.Fatal(err)
	}
	return r.Infected
}

func TestNDBSyntax(t *testing.T) {
	tests := []struct {
		sig  string // target:offset:hexsig
		data string
		want bool
	}{
		{"0:*:41424344", "xxABCDxx", true},
		{"0:*:41424344", "xxABCxDxx", false},
		{"0:*:4142??4445", "ABzDE", true},
		{"0:*:4142??4445", "ABDE", false},
		{"0:*:41424?4445", "ABCDE", true}, // C = 0x43
		{"0:*:4142?34445", "ABCDE", true},
		{"0:*:4142?44445", "ABCDE", false},
		{"0:*:41424344*45464748", "ABCD...long gap...EFGH", true},
		{"0:*:41424344*45464748", "EFGH ABCD", false},
		{"0:*:41424344{3}45464748", "ABCDxyzEFGH", true},
		{"0:*:41424344{3}45464748", "ABCDxyEFGH", false},
		{"0:*:41424344{-3}45464748", "ABCDEFGH", true},
		{"0:*:41424344{-3}45464748", "ABCDxyzEFGH", true},
		{"0:*:41424344{-3}45464748", "ABCDwxyzEFGH", false},
		{"0:*:41424344{2-}45464748", "ABCDxEFGH", false},
		{"0:*:41424344{2-}45464748", "ABCDxxxxxxxxEFGH", true},
		{"0:*:41424344{2-4}45464748", "ABCDxxxEFGH", true},
		{"0:*:41424344{2-4}45464748", "ABCDxxxxxEFGH", false},
		{"0:*:414243[1-3]44454647", "ABCxxDEFG", true},
		{"0:*:414243[1-3]44454647", "ABCxxxxDEFG", false},
		{"0:*:41424344(45|46)47", "ABCDFG", true},
		{"0:*:41424344(45|46)47", "ABCDHG", false},
		{"0:*:41424344(4546|47)48", "ABCDEFH", true}, // alternatives of different length
		{"0:*:41424344(4546|47)48", "ABCDGH", true},
		{"0:*:41424344(4546|47)48", "ABCDEH", false},
		{"0:*:41424344!(45|46)47", "ABCDXG", true},
		{"0:*:41424344!(45|46)47", "ABCDEG", false},
		{"0:*:(58|59)41424344", "YABCD", true}, // alternative before the anchor
		{"0:0:41424344", "ABCDxxxx", true},
		{"0:0:41424344", "xABCD", false},
		{"0:2:41424344", "xxABCD", true},
		{"0:2,3:41424344", "xxxxxABCD", true},
		{"0:2,3:41424344", "xxxxxxABCD", false},
		{"0:EOF-4:41424344", "xxxxABCD", true},
		{"0:EOF-4:41424344", "xxxxABCDx", false},
		{"0:*:41??43??45", "AxCxE", true},
		{"7:*:68656c6c6f20776f726c64", "HELLO \r\n\t WORLD", true}, // text normalised
		{"3:*:3c7363726970743e616c657274", "<html><SCRIPT>ALERT(1)</script></html>", true},
		{"3:*:3c7363726970743e616c657274", "<html><SCRIPT><!-- x -->ALERT(1)</script></html>", true},
		{"3:*:68656c6c6f20776f726c64", "<html><body>Hello <b>World</b></body></html>", true}, // tags stripped
		{"1:*:41424344", "ABCD", false},                                                      // PE target, not a PE
	}
	for _, tt := range tests {
		if got := matchSig(t, "Test.Sig:"+tt.sig, []byte(tt.data)); got != tt.want {
			t.Errorf("%s on %q: got %v, want %v", tt.sig, tt.data, got, tt.want)
		}
	}
}

func TestNDBRejects(t *testing.T) {
	bad := []string{
		"X:0:*:4",            // odd digits
		"X:0:*:41(42",        // unclosed
		"X:0:*:4g",           // not hex
		"X:0:*:41{x}42",      // bad gap
		"X:0:Q:4142",         // bad offset
		"X:0:*",              // too few fields
		"X:0:*:*",            // nothing but a gap
		"X:0:*:41!(42|4344)", // negated alternatives of different lengths
	}
	for _, line := range bad {
		if _, err := parseNDBLine(line); err == nil || isSkip(err) {
			t.Errorf("%q: want parse error, got %v", line, err)
		}
	}
	skip := []string{"X:13:*:41424344", "X:0:*:41424344:999", "X:0:*:41424344:1:5", "X:0:*:41424344(B)4546"}
	for _, line := range skip {
		if _, err := parseNDBLine(line); !isSkip(err) {
			t.Errorf("%q: want skip, got %v", line, err)
		}
	}
}

func TestPEOffsets(t *testing.T) {
	pe := buildPE(t, []byte("ENTRYPOINTCODE"))
	tests := []struct {
		sig  string
		want bool
	}{
		{"1:EP+0:454e545259", true},
		{"1:EP+5:504f494e54", true},
		{"1:EP+1:454e545259", false},
		{"1:S0+0:454e545259", true},
		{"1:SL+0:454e545259", true},
		{"1:SE0:504f494e54", true},
		{"0:EP-2,4:454e545259", true},
	}
	for _, tt := range tests {
		if got := matchSig(t, "Test.PE:"+tt.sig, pe); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.sig, got, tt.want)
		}
	}
}

func TestNormalise(t *testing.T) {
	tests := []struct {
		fn       func([]byte) []byte
		in, want string
	}{
		{func(b []byte) []byte { return normText(nil, b) }, "  Hello\r\n\tWORLD  x ", "hello world x"},
		{func(b []byte) []byte { return normHTML(nil, b) }, "<B>A&amp;B</B><!-- gone -->&#x41;&#66;&bogus;", "<b>a&b</b>ab&bogus;"},
		{func(b []byte) []byte { return stripTags(normHTML(nil, b)) }, "<p>Hello <b>World</b></p>", "hello world "},
	}
	for _, tt := range tests {
		if got := string(tt.fn([]byte(tt.in))); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}
