package sarules

import (
	"fmt"
	"sync"
	"testing"
)

// setTestPatterns mix anchors, \b, \Z before a final newline, empty
// matches, case folding, counted repeats and the relaxed features
// (lookaround, backreferences, possessive quantifiers).
var setTestPatterns = []string{
	`/a$/`, `/a\Z/`, `/a\z/`, `/^a$/m`, `/\bfoo\b/`, `/x\s*$/`, `/^$/`, `/\n$/`,
	`/[a-z]+\d{2,3}$/i`, `/(?:ab|cd)+\Z/`, `/^\s*$/m`, `/(?:^|\s)bar/`, `/b(?=c)/`,
	`/(a)x\1/`, `/a++b/`, `/\Bo/`, `/z*/`, `/foo(?!bar)/i`, `/^[^a]{3}/`, `/\d{4,}/`,
}

// setTestSubjects are short texts over the patterns' bytes.
func setTestSubjects() []string {
	subjects := []string{"", "\n", "a", "a\n", "a\n\n", "xa\nb", "foo\n", "ba\n", "x  \n",
		"  a  ", "Abc12\n", "abcd\n", "abcdab", "cd\nab\n", "foobar foo.", "\n\n", "bc", "axa",
		" bar", "FOObaz", "1234", "aab", "bbb\n"}
	return append(subjects, randomTexts(400, 0, 37, "abcdfoxrz 1\n", 7)...)
}

func compileAll(t *testing.T, pats []string) []*Regex {
	t.Helper()
	var res []*Regex
	for _, p := range pats {
		re, err := CompileRegex(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		res = append(res, re)
	}
	return res
}

// TestRegexSetMatchesMembers: a set reports every member that matches a
// subject (as the backtracking matcher finds it), and for a member whose
// own DFA is exact it reports nothing else; on a cold cache and again on
// the cached states, in sets of every size.
func TestRegexSetMatchesMembers(t *testing.T) {
	subjects := setTestSubjects()
	for _, size := range []int{2, 5, len(setTestPatterns)} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			defer func(n int) { regexSetMaxMembers = n }(regexSetMaxMembers)
			regexSetMaxMembers = size
			res := compileAll(t, setTestPatterns)
			sets := buildRegexSets(res, 0)
			if want := (len(res) + size - 1) / size; len(sets) != want && len(res)%size != 1 {
				t.Fatalf("%d sets, want %d", len(sets), want)
			}
			p := &pms{rs: &Ruleset{sets: sets}}
			for round := 0; round < 2; round++ {
				for _, s := range subjects {
					sub := newSubject(s)
					for _, re := range res {
						if re.set == nil {
							continue
						}
						got := p.maySetMatch(re, sub)
						st, _, _ := btFindFirst(re.root, re.ncap, s, 0, re.first)
						if st >= 0 && !got {
							t.Errorf("%s on %q: matches, set says no", re.Source, s)
						}
						if d := re.lazyDFA(); d.exact && got != (st >= 0) {
							t.Errorf("%s on %q: set %v, backtracker %v", re.Source, s, got, st >= 0)
						}
					}
				}
			}
		})
	}
}

// TestRegexSetCacheDrops: a set whose DFA needs more states than its
// cache holds drops the cache and keeps answering right while several
// goroutines scan.
func TestRegexSetCacheDrops(t *testing.T) {
	res := compileAll(t, []string{`/a[ab]{10}b\Z/`, `/b[ab]{9}a/`, `/ab{3}a/`})
	sets := buildRegexSets(res, 0)
	if len(sets) != 1 {
		t.Fatalf("%d sets", len(sets))
	}
	sets[0].d.maxStates = 64
	subjects := randomTexts(200, 30, 17, "ab", 1)
	want := make([][]bool, len(subjects))
	for i, s := range subjects {
		for _, re := range res {
			st, _, _ := btFindFirst(re.root, re.ncap, s, 0, re.first)
			want[i] = append(want[i], st >= 0)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(subjects))
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, s := range subjects {
				found := sets[0].scan(s)
				for k := range res {
					if got := found&(1<<k) != 0; got != want[i][k] {
						errs <- fmt.Sprintf("%s on %q: set %v, want %v", res[k].Source, s, got, want[i][k])
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if sets[0].d.tab.Load().epoch == 0 {
		t.Error("the cache was never dropped")
	}
}

// TestRegexSetGrouping: rules without a literal prefilter share a set
// per subject; rules with one, negated header rules and inactive rules
// stay out.
func TestRegexSetGrouping(t *testing.T) {
	rs, diags, err := Load(nil, LoadOptions{Extra: `
body R1 /o\d/
body R2 /\s[a-c][a-z]+\s/
body R3 /quux/
rawbody R4 /x\d/
rawbody R5 /y\d/
header R6 Subject =~ /\d{3}/
header R7 Subject =~ /[a-c]{4}/
header R8 Subject !~ /\d\d/
header R9 From =~ /\d\d/
`})
	if err != nil {
		t.Fatal(err, diags)
	}
	setOf := func(name string) *regexSet { return rs.rules[name].Re.set }
	if setOf("R1") == nil || setOf("R1") != setOf("R2") {
		t.Error("R1 and R2 are not in one set")
	}
	if setOf("R3") != nil {
		t.Error("R3 has a literal prefilter but is in a set")
	}
	if setOf("R4") == nil || setOf("R4") != setOf("R5") || setOf("R4") == setOf("R1") {
		t.Error("R4 and R5 are not in a rawbody set of their own")
	}
	if setOf("R6") == nil || setOf("R6") != setOf("R7") {
		t.Error("R6 and R7 are not in one Subject set")
	}
	if setOf("R8") != nil || setOf("R9") != nil {
		t.Error("a negated rule or a rule alone for its header is in a set")
	}
	for _, c := range []struct {
		msg  string
		hits []string
	}{
		{"Subject: abca 123\n\nfoo1 bar x1 y2 quux\n", []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7"}},
		{"Subject: zz 12\nFrom: a 12\n\nbaz cz \n", []string{"R2", "R9"}},
		{"Subject: zz\n\nnothing\n", []string{"R8"}},
	} {
		res := rs.Check(t.Context(), NewMessage([]byte(c.msg)), CheckOptions{Local: true})
		got := map[string]bool{}
		for _, h := range res.Hits {
			got[h.Name] = true
		}
		for _, name := range []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9"} {
			want := false
			for _, h := range c.hits {
				want = want || h == name
			}
			if got[name] != want {
				t.Errorf("%q: %s hit %v, want %v", c.msg, name, got[name], want)
			}
		}
	}
}
