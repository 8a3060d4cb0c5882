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

// TestDFACacheGrowsAndDrops: a regex whose DFA has more states than
// dfaMaxStates (a.{12}b over random a/b text) grows its table and drops
// it again while several goroutines match; every answer stays exact.
func TestDFACacheGrowsAndDrops(t *testing.T) {
	re, err := CompileRegex(`/a[ab]{12}b\Z/`)
	if err != nil {
		t.Fatal(err)
	}
	d := re.lazyDFA()
	if d == nil || !d.exact {
		t.Fatal("no exact DFA")
	}
	subjects := make([]string, 300)
	x := uint32(1)
	for i := range subjects {
		b := make([]byte, 40+i%23)
		for j := range b {
			x = x*1664525 + 1013904223
			b[j] = "ab"[x>>31]
		}
		if i%3 == 0 {
			b = append(b, '\n')
		}
		subjects[i] = string(b)
	}
	want := make([]bool, len(subjects))
	for i, s := range subjects {
		st, _, _ := btFindFirst(re.root, re.ncap, s, 0, re.first)
		want[i] = st >= 0
	}
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			bad := ""
			for round := 0; round < 3 && bad == ""; round++ {
				for i := range subjects {
					k := (i*7 + g*31) % len(subjects)
					if d.match(subjects[k]) != want[k] {
						bad = subjects[k]
						break
					}
				}
			}
			errs <- bad
		}()
	}
	for g := 0; g < 4; g++ {
		if bad := <-errs; bad != "" {
			t.Errorf("dfa disagrees with the backtracker on %q", bad)
		}
	}
	if d.tab.Load().epoch == 0 {
		t.Errorf("cache never dropped (%d states)", len(d.states))
	}
}
