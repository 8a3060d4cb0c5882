package sarules

import (
	"sort"
	"strconv"
	"strings"
)

// Recipient list evals (HeaderEval _check_recipients): SORTED_RECIPS,
// SUSPICIOUS_RECIPS.

const (
	toccSortedCount   = 7
	toccSimilarCount  = 5
	toccSimilarLength = 2
)

func (p *pms) recipients() (sorted bool, similar float64) {
	var inputs []string
	for _, req := range []string{"ToCc:addr", "Bcc:addr"} {
		inputs = append(inputs, p.getList(req)...)
		if len(inputs) >= toccSimilarCount {
			break
		}
	}
	var addrs []string
	prev := ""
	for _, cur := range inputs {
		if cur == "" {
			break // Perl's while (my $current = shift) stops at an empty one
		}
		if !strings.EqualFold(cur, prev) {
			addrs = append(addrs, cur)
			prev = cur
		}
		if len(addrs) == 256 {
			break
		}
	}
	s := append([]string(nil), addrs...)
	sort.Strings(s)
	sorted = len(addrs) >= toccSortedCount && strings.Join(addrs, ",") == strings.Join(s, ",")
	if len(addrs) < toccSimilarCount {
		return sorted, 0
	}
	pre := func(x string) string { return x[:min(len(x), toccSimilarLength)] }
	hits, comb := 0, 0
	for i := range addrs {
		for j := i + 1; j < len(addrs); j++ {
			fi, fj := afterAt(addrs[i]), afterAt(addrs[j])
			if pre(addrs[i]) == pre(addrs[j]) {
				hits++
			}
			if pre(fi) == pre(fj) && fi != fj {
				hits++
			}
			comb++
		}
	}
	return sorted, float64(hits) / float64(comb)
}

func afterAt(a string) string {
	if i := strings.IndexByte(a, '@'); i >= 0 {
		return a[i+1:]
	}
	return ""
}

var recipEvals = map[string]evalFunc{
	"sorted_recipients": func(p *pms, r *Rule, a []string) int {
		s, _ := p.recipients()
		return btoi(s)
	},
	"similar_recipients": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		_, sim := p.recipients()
		lo, hi := -1e18, 1e18
		if a[0] != "undef" {
			lo, _ = strconv.ParseFloat(a[0], 64)
		}
		if a[1] != "undef" {
			hi, _ = strconv.ParseFloat(a[1], 64)
		}
		return btoi(sim >= lo && sim < hi)
	},
}
