package sarules

import (
	"strconv"
)

// Body, MIME and HTML eval functions (BodyEval, MIMEEval, HTMLEval).
var bodyEvals = map[string]evalFunc{
	"check_body_length": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		// BodyEval.pm: pristine_body_length <= min
		n, _ := strconv.Atoi(a[0])
		return btoi(p.m.bodyLen <= n)
	},
}

var netEvals = map[string]evalFunc{
	"check_bayes": func(p *pms, r *Rule, a []string) int { return 0 },
}

// checkBayes: check_bayes(min, max) hits when min <= p < max.
func checkBayes(res *Result, a []string) int {
	if !res.BayesOK || len(a) < 2 {
		return 0
	}
	lo, _ := strconv.ParseFloat(a[0], 64)
	hi, _ := strconv.ParseFloat(a[1], 64)
	return btoi(res.Bayes >= lo && res.Bayes < hi)
}
