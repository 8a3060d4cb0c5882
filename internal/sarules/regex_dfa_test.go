package sarules

import "testing"

// TestDFAMatchesBacktracker: the lazy DFA answers as the backtracking
// matcher, on a cold cache and again on the cached transitions, including
// \Z and $ before a final newline (the uncached-then-cached last step).
func TestDFAMatchesBacktracker(t *testing.T) {
	pats := []string{`/a$/`, `/a\Z/`, `/a\z/`, `/^a$/m`, `/a\n\Z/`, `/\bfoo\b/`, `/x\s*$/`,
		`/b$/`, `/^$/`, `/\n$/`, `/[a-z]+\d{2,3}$/i`, `/(?:ab|cd)+\Z/`, `/^\s*$/m`}
	subjects := []string{"", "\n", "a", "a\n", "a\n\n", "xa\nb", "foo\n", "ba\n", "b\n", "x  \n",
		"  a  ", "Abc12\n", "abc1234\n", "abcd\n", "abcdab", "cd\nab\n", "foobar foo.", "\n\n"}
	for _, p := range pats {
		re, err := CompileRegex(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		d := re.lazyDFA()
		if d == nil || !d.exact {
			t.Fatalf("%s: no exact DFA", p)
		}
		for round := 0; round < 2; round++ {
			for _, s := range subjects {
				st, _, _ := btFindFirst(re.root, re.ncap, s, 0, re.first)
				if got, want := d.match(s), st >= 0; got != want {
					t.Errorf("%s on %q (round %d): dfa %v, backtracker %v", p, s, round, got, want)
				}
			}
		}
	}
}
