package sarules

import "testing"

// TestHSPattern: the Hyperscan pattern of a regex spells out its bytes
// and keeps or widens every construct, never narrows one.
func TestHSPattern(t *testing.T) {
	cases := []struct {
		re, want string
		joined   bool
	}{
		{`/ab/i`, `[\x41\x61][\x42\x62]`, false},
		{`/a.c/s`, `\x61[\x00-\xff]\x63`, false},
		{`/a.c/`, `\x61[\x00-\x09\x0b-\xff]\x63`, false},
		{`/^x$/m`, `^\x78$`, false},
		{`/^x$/`, `\A\x78\Z`, false},
		{`/^x$/`, `^\x78$`, true},
		{`/x\z/`, `\x78$`, true},
		{`/\bx\B/`, `\b\x78\B`, false},
		{`/x(?=y)z/`, `\x78\x7a`, false},
		{`/(?<!y)x/`, `\x78`, false},
		{`/(a)\1/`, `(?:\x61)[\x00-\xff]*`, false},
		{`/(?>a+)b/`, `(?:(?:\x61)+)\x62`, false},
		{`/a*?b++c{2}d{3,}e{0,5}/`, `(?:\x61)*(?:\x62)+(?:\x63){2}(?:\x64){3,}(?:\x65){0,5}`, false},
		{`/a{0,2048}b{40}c{1,99}/`, `(?:\x61)*(?:\x62){16,}(?:\x63)+`, false},
		{`/a|bc/`, `(?:\x61|\x62\x63)`, false},
		{`/[^\x00-\xff]/`, "", false},
	}
	for _, c := range cases {
		re, err := CompileRegex(c.re)
		if err != nil {
			t.Fatalf("%s: %v", c.re, err)
		}
		got, ok := hsPattern(re.root, c.joined)
		if c.want == "" {
			if ok {
				t.Errorf("%s: got %q, want none", c.re, got)
			}
			continue
		}
		if !ok || got != c.want {
			t.Errorf("%s (joined %v): got %q %v, want %q", c.re, c.joined, got, ok, c.want)
		}
	}
}
