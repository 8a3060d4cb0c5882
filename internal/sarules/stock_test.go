package sarules

import (
	"os"
	"sort"
	"testing"
)

const stockDir = "/usr/share/spamassassin"

func loadStock(t testing.TB) *Ruleset {
	t.Helper()
	if _, err := os.Stat(stockDir + "/50_scores.cf"); err != nil {
		t.Skip("SpamAssassin stock rules not installed: ", err)
	}
	rs, diags, err := Load([]string{stockDir}, LoadOptions{Extra: "use_bayes 0\n"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if d.Severity == Error {
			t.Errorf("%v", d)
		}
	}
	return rs
}

// TestStockRulesLoad: the whole stock ruleset loads with no errors.
func TestStockRulesLoad(t *testing.T) {
	rs := loadStock(t)
	st := rs.Stats()
	if st.Total < 1500 {
		t.Errorf("only %d rules loaded", st.Total)
	}
	type kv struct {
		k string
		v int
	}
	var l []kv
	for k, v := range st.MissingEvals {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v || l[i].v == l[j].v && l[i].k < l[j].k })
	bt := 0
	for _, r := range rs.Rules() {
		if r.Re != nil && r.Re.Backtracking() {
			bt++
		}
	}
	t.Logf("total=%d active=%d inactive=%d backtracking=%d why=%v", st.Total, st.Active, st.Inactive, bt, st.InactiveWhy)
	t.Logf("missing evals (%d): %v", len(l), l)
	t.Logf("unknown directives: %v", st.Unknown)
}
