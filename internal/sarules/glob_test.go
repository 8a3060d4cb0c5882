package sarules

import "testing"

// TestGlobList checks the list matcher against matching each glob alone.
func TestGlobList(t *testing.T) {
	pats := []string{"*@paypal.com", "*@*.paypal.co.uk", "bob@example.org", "*@ex?mple.net", "*admin*", "*@", "x*@y.com"}
	g := newGlobList(pats)
	if len(g.atDomain) != 1 || len(g.rest) != 6 {
		t.Fatalf("split: %d domains, %d others", len(g.atDomain), len(g.rest))
	}
	for _, s := range []string{
		"a@paypal.com", "paypal.com", "@paypal.com", "a@b@paypal.com", "a@paypal.com.evil", "a@mail.paypal.co.uk",
		"a@paypal.co.uk", "bob@example.org", "bob@example.org.", "z@exemple.net", "z@example.net", "root-admin@x",
		"q@", "xa@y.com", "a@y.com", "", "a@paypal.comx", "a@ppaypal.com",
	} {
		want := false
		for _, p := range pats {
			want = want || globMatch(p, s)
		}
		if got := g.match(s); got != want {
			t.Errorf("%q: match %v, globs one by one %v", s, got, want)
		}
	}
}

func FuzzGlobList(f *testing.F) {
	f.Add("*@a.b", "x@a.b")
	f.Add("*@*.c", "@d@x.c")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if got, want := newGlobList([]string{pat}).match(s), globMatch(pat, s); got != want {
			t.Errorf("glob %q on %q: list %v, alone %v", pat, s, got, want)
		}
	})
}
