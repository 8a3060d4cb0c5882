package sarules

import (
	"strings"
	"testing"
)

func TestRegexTranslation(t *testing.T) {
	tests := []struct {
		re, s string
		want  bool
	}{
		{`/foo/`, "a foo b", true},
		{`/FOO/i`, "a foo b", true},
		{`/FOO/`, "a foo b", false},
		{`/\bcat\b/`, "concat", false},
		{`/\bcat\b/`, "a cat.", true},
		{`/^b/`, "a\nb", false},
		{`/^b/m`, "a\nb", true},
		{`/a$/`, "xa\n", true},
		{`/a\z/`, "xa\n", false},
		{`/a.b/`, "a\nb", false},
		{`/a.b/s`, "a\nb", true},
		{`/a b c/x`, "abc", true},
		{`/a # comment
		  b/x`, "ab", true},
		{`/\xe9t\xe9/`, "\xe9t\xe9", true},
		{`/\xe9/`, "\xc3\xa9", false},
		{"/caf\xc3\xa9/", "un caf\xc3\xa9", true},
		{`/[\042\223]{2}/`, "say \"\"hi", true},
		{`/\042/`, `"`, true},
		{`/[[:upper:]]{3}/`, "abcDEF", true},
		{`/(?i)hello/`, "HeLLo", true},
		{`/a(?i:b)c/`, "aBc", true},
		{`/a(?i:b)c/`, "aBC", false},
		{`/a+?b/`, "aaab", true},
		{`/a++b/`, "aaab", true},
		{`/foo(?=bar)/`, "foobar", true},
		{`/foo(?=bar)/`, "foobaz", false},
		{`/foo(?!bar)/`, "foobar", false},
		{`/(?<=x)foo/`, "xfoo", true},
		{`/(?<!x)foo/`, "xfoo", false},
		{`/(\w)\1/`, "hello", true},
		{`/(\w)\1/`, "helo", false},
		{`/(?<w>ab)\k<w>/`, "abab", true},
		{`/(?>a+)b/`, "aaab", true},
		{`m{a/b}`, "a/b", true},
		{`/a\/b/`, "a/b", true},
		{`/\Qa.b\E/`, "axb", false},
		{`/x{2,3}/`, "axxb", true},
		{`/a{,2}/`, "a{,2}", true},
	}
	for _, tt := range tests {
		re, err := CompileRegex(tt.re)
		if err != nil {
			t.Errorf("%s: %v", tt.re, err)
			continue
		}
		if got := re.Match(tt.s, ""); got != tt.want {
			t.Errorf("%s on %q = %v, want %v (go: %v)", tt.re, tt.s, got, tt.want, re.re)
		}
	}
}

func TestRegexErrors(t *testing.T) {
	for _, re := range []string{`/a(b/`, `/a)/`, `/[a/`, `/*a/`, `foo`, `/a/q`} {
		if _, err := CompileRegex(re); err == nil {
			t.Errorf("%s: no error", re)
		}
	}
}

// TestPathologicalRegexBounded: historical SpamAssassin DoS shapes on
// pathological input finish (step limit) and count as no match.
func TestPathologicalRegexBounded(t *testing.T) {
	long := strings.Repeat("a", 50000)
	for _, src := range []string{`/(a+)+b/`, `/(a|aa)+(?=b)/`, `/(a*)*\1b/`, `/(?:a+)+(?!a)c/`, `/(\w+\s?)+\1z/`} {
		re, err := CompileRegex(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if re.Match(long, "") {
			t.Errorf("%s matched", src)
		}
		if n := re.Count(long, "", 0); n != 0 {
			t.Errorf("%s counted %d", src, n)
		}
	}
}

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		re   string
		want string
	}{
		{`/viagra/i`, "viagra"},
		{`/\bfree (?:money|cash)\b/`, "free money|free cash"},
		{`/(?:money|cash) now/`, "money now|cash now"},
		{`/a|b/`, ""},
		{`/Copy (?:and|\+|\&) paste/i`, "copy and paste|copy + paste|copy & paste"},
		{`/\bexpl[o0]it\b/`, "expl0it|exploit"},
		{`/mal+ware/`, "lware"},
		{`/(?:pay\sme|I\swant)/i`, "pay|want"},
		{`/x(?:abc)?y/`, ""},
		{`/(?:abc)?defg/`, "abcdefg|defg"},
		{`/ab(\w)\1cde/`, "cde"},
	}
	for _, tt := range tests {
		re, _ := CompileRegex(tt.re)
		got := ""
		if litScore(re.lits) > 0 {
			got = strings.Join(re.lits, "|")
		}
		if got != tt.want {
			t.Errorf("%s: lits %q, want %q", tt.re, got, tt.want)
		}
	}
}

// TestAlsoLiterals: the further literal sets every match holds one of,
// besides lits, and the prefilter asking for all of them.
func TestAlsoLiterals(t *testing.T) {
	tests := []struct {
		re      string
		want    string // sets joined by " & ", members by "|"
		yes, no string // a text that passes the prefilter, one it rejects
	}{
		{`/\bcheap\s+viagra\b/i`, "cheap", "Cheap  VIAGRA", "cheap stuff"},
		{`/god gives .{1,10}second chance/i`, "gives & god", "god gives you a second chance", "a second chance"},
		{`/\bviagra .{0,25}(?:express|online|overnight)/i`, "express|online|overnight", "viagra now online", "viagra now"},
		{`/(?:foo|bar)baz/`, "", "barbaz", "bar"},
		{`/(?:abc)?defg/`, "", "defg", "def"},
		{`/xyz(?:abc)*defg/`, "xyz", "xyzdefg", "defg"},
		{`/\bfree (?:money|cash)\b/`, "", "free cash", "free"},
		{`/(\w+) likes \1 and jam/`, " likes ", "ann likes ann and jam", "and jam"},
	}
	for _, tt := range tests {
		re, err := CompileRegex(tt.re)
		if err != nil {
			t.Fatal(err)
		}
		var sets []string
		for _, s := range re.also {
			sets = append(sets, strings.Join(s, "|"))
		}
		if got := strings.Join(sets, " & "); got != tt.want {
			t.Errorf("%s: also %q, want %q (lits %q)", tt.re, got, tt.want, re.lits)
		}
		if !re.mayMatch(asciiLower(tt.yes)) {
			t.Errorf("%s: prefilter rejects %q", tt.re, tt.yes)
		}
		if re.mayMatch(asciiLower(tt.no)) {
			t.Errorf("%s: prefilter passes %q", tt.re, tt.no)
		}
	}
}

func FuzzRegex(f *testing.F) {
	for _, s := range []string{`/\bcheap\s+viagra\b/i`, `/god gives .{1,10}second chance/i`, `/xyz(?:abc)*defg(?:hij)+/`, `/\bfoo$/`, `/^a\Z/m`, `/\Bx\b(?=y)/`, `/(?:ab|cd)e{2}f?/i`, `/x(?:abc)+y\b/`, `/a+b/`, `/(?<=x)y/i`, `/[\x00-\xff]{2,}/s`, `/(\w)\1/`, `/(?i)a(?-i)b/x`, `/\Qa.\E+/`, `/a[^\n]{0,5} fo/i`, `/x.*?yz/`, `/(a\w*?)-\1b/`, `/[ab]*?(?=b)bc/`, `/^a.*?<b/im`, `/^(?:x|y)\w*$/m`} {
		f.Add(s, "xaab yy")
	}
	f.Fuzz(func(t *testing.T, src, subject string) {
		re, err := CompileRegex(src)
		if err != nil {
			return
		}
		a := re.Match(subject, "")
		if a && !re.mayMatch(asciiLower(subject)) {
			t.Errorf("%s on %q: prefilter %q rejects a match", src, subject, re.lits)
		}
		if re.lazyDFA() != nil {
			// the DFA agrees with the backtracking matcher when exact,
			// and never rejects its matches when relaxed
			st, _, aborted := btFind(re.root, re.ncap, subject, 0)
			d := re.dfa.match(subject)
			if !aborted && (re.dfa.exact && d != (st >= 0) || !d && st >= 0) {
				t.Errorf("%s on %q: dfa=%v (exact %v) bt=%v", src, subject, d, re.dfa.exact, st >= 0)
			}
		}
		if re.re != nil {
			// the backtracking matcher must agree with the Go engine
			st, _, aborted := btFind(re.root, re.ncap, subject, 0)
			if !aborted && (st >= 0) != a && !strings.ContainsAny(src, "$+Z") {
				t.Errorf("%s on %q: go=%v bt=%v", src, subject, a, st >= 0)
			}
		}
	})
}

// TestLitScanner: the shared scan finds exactly the literals that occur,
// short and long (over 8 bytes), at the end of the text and inside it.
func TestLitScanner(t *testing.T) {
	lits := []string{"abc", "abcd", "abcdefgh", "abcdefghij", "bca", "cab ", "xyzxyzxyz", "zzz"}
	re := &Regex{lits: lits}
	sc := newLitScanner([]*Regex{re})
	x := uint32(3)
	for n := 0; n < 300; n++ {
		b := make([]byte, n%40)
		for j := range b {
			x = x*1664525 + 1013904223
			b[j] = "abcdefghijxyz "[(x>>24)%14]
		}
		s := string(b)
		if n%7 == 0 {
			s += lits[n%len(lits)]
		}
		found := sc.find(s, nil)
		for id, l := range sc.lits {
			if got, want := found[id>>6]&(1<<(id&63)) != 0, strings.Contains(s, l); got != want {
				t.Errorf("%q in %q: found %v, want %v", l, s, got, want)
			}
		}
	}
}

// TestRequiredByteCount: a regex needing a byte many times rejects
// subjects with fewer at once, and still matches as before otherwise.
func TestRequiredByteCount(t *testing.T) {
	for _, c := range []struct {
		pat  string
		b    byte
		k    int
		subj string
		want bool
	}{
		{`/(?:,[^,]{1,90}){30}/`, ',', 30, strings.Repeat("a,", 29) + "a", false},
		{`/(?:,[^,]{1,90}){30}/`, ',', 30, strings.Repeat(",a", 30), true},
		{`/(?:\xe9\w){8}|x(?:\xe9\w){9}/`, 0xe9, 8, strings.Repeat("\xe9a", 8), true},
		{`/(?:\xe9\w){8}|x(?:\xe9\w){9}/`, 0xe9, 8, strings.Repeat("\xc3\xa9a", 8), false},
		{`/(?:a\w){8}/`, 0, 0, strings.Repeat("ab", 8), true},  // letters: not counted
		{`/\xe9{4}|x\xe9{5}/`, 0, 0, "\xe9\xe9\xe9\xe9", true}, // literal prefilter instead
		{`/(?:ab){4}/i`, 0, 0, "ABabABab", true},
		{`/a.b.c.d/`, 0, 0, "a1b2c3d", true},
	} {
		re, err := CompileRegex(c.pat)
		if err != nil {
			t.Fatal(err)
		}
		if re.needCount != c.k || c.k > 0 && re.needByte != string([]byte{c.b}) {
			t.Errorf("%s: needs %q x%d, want %q x%d", c.pat, re.needByte, re.needCount, c.b, c.k)
		}
		if got := re.Match(c.subj, ""); got != c.want {
			t.Errorf("%s on %q: %v", c.pat, c.subj, got)
		}
		if got := re.Count(c.subj, "", 0) > 0; got != c.want {
			t.Errorf("%s count on %q: %v", c.pat, c.subj, got)
		}
	}
}

// TestPackageRegexClasses: a regex compiled into a package variable sees
// \d, \s and \w filled in (they once were filled in by init(), which runs
// after every package variable, so such regexes had empty classes).
func TestPackageRegexClasses(t *testing.T) {
	if !extASCIIRe.Match("ISO-8859-1", "") {
		t.Error(`extASCIIRe (\d) does not match ISO-8859-1`)
	}
	if !ctCharsetRe.Match("text/plain; charset = x", "") {
		t.Error(`ctCharsetRe (\s) does not match "charset = x"`)
	}
}
