//go:build hyperscan && cgo

package sarules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// hsStock loads the stock rules and compiles their Hyperscan prefilter
// (into a cache kept between runs when MAILWALL_HS_CACHE names one).
func hsStock(t testing.TB) *Ruleset {
	t.Helper()
	rs := loadStock(t)
	dir := os.Getenv("MAILWALL_HS_CACHE")
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := rs.CompileHyperscan(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hyperscan: %d databases (%d cached), %d rules, %d refused, %v", st.Databases, st.Cached, st.Rules, st.Refused, st.Took)
	if st.Rules < 1000 {
		t.Errorf("only %d stock rules in hyperscan databases", st.Rules)
	}
	return rs
}

// TestHyperscanSameHits: with the Hyperscan prefilter, every message of
// the corpus sample (and the test messages) hits exactly the rules and
// sub-rules it hits without.
func TestHyperscanSameHits(t *testing.T) {
	plain, fast := loadStock(t), hsStock(t)
	msgs := append([][]byte{[]byte(gtube)}, corpusMessages(t)...)
	ctx := context.Background()
	for i, raw := range msgs {
		a := plain.Check(ctx, NewMessage(raw), CheckOptions{Local: true})
		b := fast.Check(ctx, NewMessage(raw), CheckOptions{Local: true})
		if !slices.Equal(hitNames(a), hitNames(b)) || !slices.Equal(a.SubHits, b.SubHits) || a.Score != b.Score {
			t.Errorf("message %d: without hyperscan %v %v (%.1f), with %v %v (%.1f)", i,
				hitNames(a), a.SubHits, a.Score, hitNames(b), b.SubHits, b.Score)
		}
	}
	t.Logf("%d messages", len(msgs))
}

func hitNames(r *Result) []string {
	var l []string
	for _, h := range r.Hits {
		l = append(l, h.Name)
	}
	return l
}

// hsSmallRules exercise what the prefilter must keep: subject anchors in
// list kinds (scanned joined), negated header rules, backreferences,
// lookaround, tflags multiple; each rule hits some message of hsSmallMsgs
// and misses another.
const hsSmallRules = `
body     HS_BODY_START  /^foo bar/
body     HS_BODY_END    /bar first\Z/
body     HS_WORD        /\bmoney\b/i
tflags   HS_WORD        multiple maxhits=3
body     HS_LOOK        /offer(?!ing)\s+now/
rawbody  HS_RAW         /<b>\s*cash/i
header   HS_SUBJ_NEG    Subject !~ /hello world/
header   HS_SUBJ_BACK   Subject =~ /\b(free)\s+\1\b/i
header   HS_ALL         ALL =~ /^X-Test: yes$/m
full     HS_FULL        /^subject: [^\n]*\nx-test: yes/mi
uri      HS_URI         /example\.com\/promo/
`

var hsSmallMsgs = []string{
	"Subject: free FREE stuff\nX-Test: yes\n\nfoo bar first\n\nmoney money MONEY money\nspecial offer now\n\nclosing words\n",
	"Subject: hello world\nContent-Type: text/html\n\n<html><b> cash</b> see http://example.com/promo now</html>\n",
	"Subject: offering\n\nthe foo bar later; an offering  now, no moneys\n",
}

// TestHyperscanSmallRules: on rules built to hit the prefilter's edges,
// the results with Hyperscan are the results without.
func TestHyperscanSmallRules(t *testing.T) {
	load := func() *Ruleset {
		rs, diags, err := Load(nil, LoadOptions{Extra: hsSmallRules})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diags {
			if d.Severity == Error {
				t.Fatal(d)
			}
		}
		return rs
	}
	plain, fast := load(), load()
	st, err := fast.CompileHyperscan("")
	if err != nil {
		t.Fatal(err)
	}
	if st.Rules < 10 {
		t.Errorf("only %d of the rules in hyperscan: %+v", st.Rules, st)
	}
	hits := map[string]int{}
	ctx := context.Background()
	for i, m := range hsSmallMsgs {
		a := plain.Check(ctx, NewMessage([]byte(m)), CheckOptions{Local: true})
		b := fast.Check(ctx, NewMessage([]byte(m)), CheckOptions{Local: true})
		if !slices.Equal(hitValues(a), hitValues(b)) {
			t.Errorf("message %d: without hyperscan %v, with %v", i, hitValues(a), hitValues(b))
		}
		for _, h := range b.Hits {
			hits[h.Name]++
		}
	}
	for _, name := range []string{"HS_BODY_START", "HS_BODY_END", "HS_WORD", "HS_LOOK", "HS_RAW", "HS_SUBJ_NEG", "HS_SUBJ_BACK", "HS_ALL", "HS_FULL", "HS_URI"} {
		if n := hits[name]; n == 0 || n == len(hsSmallMsgs) {
			t.Errorf("%s hit %d of %d messages: the test should see it hit and miss", name, n, len(hsSmallMsgs))
		}
	}
}

func hitValues(r *Result) []string {
	var l []string
	for _, h := range r.Hits {
		l = append(l, fmt.Sprintf("%s=%g", h.Name, h.Value))
	}
	return l
}

// TestHyperscanCache: a second compile of the same rules reads every
// database from the cache; a damaged cache file is compiled again.
func TestHyperscanCache(t *testing.T) {
	dir := t.TempDir()
	rules := func() *Ruleset {
		rs, _, err := Load(nil, LoadOptions{Extra: hsSmallRules})
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	first, err := rules().CompileHyperscan(dir)
	if err != nil || first.Cached != 0 {
		t.Fatalf("first compile: %+v %v", first, err)
	}
	again, err := rules().CompileHyperscan(dir)
	if err != nil || again.Cached != again.Databases || again.Rules != first.Rules {
		t.Fatalf("second compile: %+v %v (first %+v)", again, err, first)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.hsdb"))
	if len(files) == 0 {
		t.Fatal("no cache files")
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte("damaged"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs := rules()
	third, err := rs.CompileHyperscan(dir)
	if err != nil || third.Cached != 0 || third.Rules != first.Rules {
		t.Fatalf("compile over a damaged cache: %+v %v", third, err)
	}
	res := rs.Check(context.Background(), NewMessage([]byte(hsSmallMsgs[1])), CheckOptions{Local: true})
	if !slices.Contains(hitNames(res), "HS_URI") {
		t.Errorf("after recompiling: hits %v, want HS_URI among them", hitNames(res))
	}
}

// TestHyperscanWhileChecking: checks that run while the prefilter is
// being compiled, and after, answer as without it.
func TestHyperscanWhileChecking(t *testing.T) {
	load := func() *Ruleset {
		rs, _, err := Load(nil, LoadOptions{Extra: hsSmallRules})
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	plain, fast := load(), load()
	ctx := context.Background()
	want := make([][]string, len(hsSmallMsgs))
	for i, m := range hsSmallMsgs {
		want[i] = hitValues(plain.Check(ctx, NewMessage([]byte(m)), CheckOptions{Local: true}))
	}
	done := make(chan error, 1)
	go func() {
		_, err := fast.CompileHyperscan("")
		done <- err
	}()
	compiled := false
	for round := 0; round < 10000 && !compiled; round++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			compiled = true
		default:
		}
		for i, m := range hsSmallMsgs {
			if got := hitValues(fast.Check(ctx, NewMessage([]byte(m)), CheckOptions{Local: true})); !slices.Equal(got, want[i]) {
				t.Fatalf("round %d (compiled %v), message %d: %v, want %v", round, compiled, i, got, want[i])
			}
		}
	}
	if !compiled {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if fast.hs.Load() == nil {
		t.Error("no prefilter after CompileHyperscan")
	}
}
