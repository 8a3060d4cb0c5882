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
	subjects := randomTexts(300, 40, 23, "ab", 1)
	for i := range subjects {
		if i%3 == 0 {
			subjects[i] += "\n"
		}
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
		t.Errorf("cache never dropped (%d states)", d.tab.Load().n)
	}
}

// btCount is the reference count: the backtracker from every position.
func btCount(re *Regex, s string, max int) int { return re.btCount(s, max) }

// TestDFAWindowsMatchBacktracker: Match on regexes the DFA only relaxes
// (lookaround, backreferences, atomic groups), where the backtracker runs
// only at the starts the DFA leaves, and Count (DFA end, backtracker
// start and Perl end) agree with the backtracker run from every position.
func TestDFAWindowsMatchBacktracker(t *testing.T) {
	pats := []string{`/foo(?!bar)/`, `/(?<!x)ab/`, `/\bfoo(?=\d)/i`, `/(a)\1/`, `/(?>a+)b/`,
		`/a++b/`, `/(?<=\s)\w{2,4}\b/`, `/(?:ab|a)(?!c)/`, `/(\w)x\1.*y/`, `/^(?!.*z).+$/m`,
		`/a.{0,3}b(?!b)/`, `/\d+/`, `/ab|b/`, `/a*/`, `/x*?y?/`, `/\b\w+\b/`, `/(?:a|ab)(?:c|bcd)/`,
		`/$/`, `/^/m`, `/[a-z]{3}\Z/`, `/q(?=a|b)[ab]+?/`,
		`/a/`, `/[b-d]/i`, `/(?:B)/i`, `/\s/`, `/ab|a|b[cd]/`, `/(?:xy|b)c/i`, // countFixed
		`/^\s*\S/`, `/\Aab|^a/`, `/(?:^x|^a)b*/`, // atStart
		`/^[^>].*?<a href=/im`, `/^\s?\w+$/m`, `/^(?:x|y)\w*/m`, `/^(?!ab)\w{2}/m`, `/^.*b$/m`} // lineStart
	subjects := []string{"", "a", "foobar foo1 Foo2", "xab ab yab", "aa ba aab aaab", "abc ab abd",
		"a  bb aXbb a123b", "12 345 6", "abcd abcbcd", "line one\nline z two\nthree\n", "wxw..y wxy",
		"qab qa qc", "zzzz abc\n", "aaaaaaaaaaaaaaaaaaaaaaaab", "\n\n",
		"x<a href=1 <A HREF=2\n>no <a href=\n\n<a href= ok\nab\nyb xa\nb\n"}
	for _, p := range pats {
		re, err := CompileRegex(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if re.lazyDFA() == nil {
			t.Fatalf("%s: no DFA", p)
		}
		fixed := map[string]bool{`/a/`: true, `/[b-d]/i`: true, `/(?:B)/i`: true, `/\s/`: true, `/ab|a|b[cd]/`: true, `/ab|b/`: true}
		if fixed[p] != (re.countSeqs != nil) {
			t.Errorf("%s: countSeqs %v", p, re.countSeqs != nil)
		}
		for round := 0; round < 2; round++ {
			for _, s := range subjects {
				st, _, _ := btFindFirst(re.root, re.ncap, s, 0, re.first)
				if re.re == nil {
					if got, want := re.Match(s, ""), st >= 0; got != want {
						t.Errorf("%s on %q: Match %v, backtracker %v", p, s, got, want)
					}
				}
				if re.re != nil && (re.maxLen < 0 || re.maxLen > countWindowMax) && !re.atStart && !re.lineStart && re.countSeqs == nil {
					continue // Go regexp counts, as before
				}
				for _, max := range []int{0, 2} {
					want := btCount(re, s, 1<<20)
					if max > 0 && want > max {
						want = max
					}
					if got := re.Count(s, "", max); got != want {
						t.Errorf("%s on %q: Count(max %d) %d, backtracker %d", p, s, max, got, want)
					}
				}
			}
		}
	}
}

// TestDFAFind: find returns the earliest end of a match starting at or
// after from, with the byte before from as context.
func TestDFAFind(t *testing.T) {
	for _, c := range []struct {
		pat, s    string
		from, end int
	}{
		{`/\bab/`, "xab ab", 0, 6}, {`/\bab/`, "xab ab", 1, 6}, {`/ab/`, "xab ab", 2, 6},
		{`/ab/`, "xab ab", 0, 3}, {`/^b/m`, "a\nb", 2, 3}, {`/^b/`, "a\nb", 2, -1},
		{`/a\Z/`, "ba\n", 1, 2}, {`/x*/`, "abc", 3, 3}, {`/x/`, "abc", 4, -1},
	} {
		re, err := CompileRegex(c.pat)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.lazyDFA().find(c.s, c.from); got != c.end {
			t.Errorf("%s find(%q, %d) = %d, want %d", c.pat, c.s, c.from, got, c.end)
		}
	}
}

// TestAutoPossessive: repeats marked for possessive backtracking, and
// repeats of one byte set run by the fast loop, give the same matches
// (start, end) as plain greedy backtracking.
func TestAutoPossessive(t *testing.T) {
	pats := []string{`/(?:[^\n]+\n+)*Subject: x/`, `/\w{1,15}\s(\w+)\1/`, `/a+(?!b)c/`, `/([^,]+),/`,
		`/\d+\.\d+/`, `/x+(?:y|\n)?x/`, `/[^>]{0,5}>/`, `/(a+)(?<=a)b/`,
		`/a*?b/`, `/[ab]{2,3}?b/`, `/x{2}y?+/`, `/(?:a|b)+c/`, `/^\s*$/m`}
	subjects := []string{"", "a\nSubject: x", "ab\n\nSubject: y\nSubject: x", "ab cdcd ef", "aaac aabc",
		"1,22,333", "3.14 2.", "xxxyx", "<<<<<<<>", "aab", "x\n\nx"}
	count := 0
	for _, p := range pats {
		re, err := CompileRegex(p)
		if err != nil {
			t.Fatal(err)
		}
		var plain func(n *node) *node
		plain = func(n *node) *node {
			c := *n
			c.autoPoss, c.rset = false, nil
			c.subs = nil
			for _, s := range n.subs {
				c.subs = append(c.subs, plain(s))
			}
			return &c
		}
		var marked func(n *node) int
		marked = func(n *node) int {
			k := btoi(n.autoPoss)
			for _, s := range n.subs {
				k += marked(s)
			}
			return k
		}
		count += marked(re.root)
		ref := plain(re.root)
		for _, s := range subjects {
			for from := 0; from <= len(s); from++ {
				a, b, _ := btFind(re.root, re.ncap, s, from)
				c, d, _ := btFind(ref, re.ncap, s, from)
				if a != c || b != d {
					t.Errorf("%s on %q from %d: possessive [%d,%d), greedy [%d,%d)", p, s, from, a, b, c, d)
				}
			}
		}
	}
	if count < 5 {
		t.Errorf("only %d repeats marked", count)
	}
}

// TestDFAStopBytes: DFAs that skip idle runs by searching for their few
// stop bytes find a match from every start exactly when the backtracker
// does, on random text.
func TestDFAStopBytes(t *testing.T) {
	pats := []string{`/foo\b/i`, `/x\Z/`, `/ab|cd/`, `/[xq]q$/`, `/^o/m`, `/\bdo/`}
	subjects := randomTexts(200, 0, 61, "abcdfoxqFO \n", 7)
	for _, p := range pats {
		re, err := CompileRegex(p)
		if err != nil {
			t.Fatal(err)
		}
		d := re.lazyDFA()
		if d == nil || !d.exact || len(d.stops) == 0 {
			t.Fatalf("%s: want an exact DFA with stop bytes", p)
		}
		for _, s := range subjects {
			for from := 0; from <= len(s); from += 1 + from/4 {
				st, _, _ := btFindFirst(re.root, re.ncap, s, from, re.first)
				if got := d.find(s, from); (got >= 0) != (st >= 0) {
					t.Errorf("%s on %q from %d: find %d, backtracker start %d", p, s, from, got, st)
				}
			}
		}
	}
}

// randomTexts returns n pseudo-random texts over alphabet (seeded, so
// every run tests the same), text i of length base + i%spread.
func randomTexts(n, base, spread int, alphabet string, seed uint32) []string {
	out := make([]string, n)
	x := seed
	for i := range out {
		b := make([]byte, base+i%spread)
		for j := range b {
			x = x*1664525 + 1013904223
			b[j] = alphabet[int(x>>16)%len(alphabet)]
		}
		out[i] = string(b)
	}
	return out
}

// TestThrashingDFAFallsBack: an exact regex whose DFA keeps dropping its
// state cache is answered by the backtracking matcher from then on, with
// the same answers.
func TestThrashingDFAFallsBack(t *testing.T) {
	src := `/\nFrom: .{1,30}?\nTo: .{1,30}?\nSubject: .{1,40}?\nDate:/s`
	subjects := []string{
		"x\nFrom: a@b\nTo: c@d\nSubject: hi\nDate: now\n",
		"x\nFrom: a@b\nTo: c@d\nSubject: hi\nX: y\n",
		"\nFrom: someone with a long name <a@example.com>\nTo: c@d\nSubject: hi\nDate: x",
		"\nFrom: a\nTo: b\nCc: c\nSubject: s\nDate: d",
		"\nFrom: a\nTo: b\nSubject: s\nDate: d",
	}
	want := make([]bool, len(subjects))
	ref, _ := CompileRegex(src)
	for i, s := range subjects {
		st, _, _ := btFindFirst(ref.root, ref.ncap, s, 0, ref.first)
		want[i] = st >= 0
	}
	re, _ := CompileRegex(src)
	d := re.lazyDFA()
	if d == nil || !d.exact {
		t.Fatal("no exact DFA")
	}
	d.maxStates = 8 // a cache too small for any subject: dropped on each
	re.compact()
	for round := 0; round < 4; round++ {
		for i, s := range subjects {
			if got := re.Match(s, ""); got != want[i] {
				t.Errorf("round %d, %q: %v, want %v", round, s, got, want[i])
			}
		}
	}
	if re.btAlt == nil {
		t.Errorf("DFA dropped its cache %d times and is still used", d.tab.Load().epoch)
	}
}
