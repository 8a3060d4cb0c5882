package sarules

// evalFunc runs one eval: rule and returns its hit count (0 = no hit).
type evalFunc func(p *pms, r *Rule, args []string) int

// evalFuncs are the eval: functions mailwall implements, by name. Rules
// naming another function are inactive (Stats.MissingEvals).
var evalFuncs map[string]evalFunc

func init() {
	evalFuncs = map[string]evalFunc{}
	for _, m := range []map[string]evalFunc{headerEvals, bodyEvals, mimeEvals, htmlEvals, netEvals, freemailEvals, relayEvals, recipEvals, forgedEvals,
		dnsblEvals, uriblEvals, askdnsEvals, authEvals, uriHostEvals, moreEvals, imageEvals, miscEvals, htmlMoreEvals, vbounceEvals, localeEvals, subjectListEvals} {
		for k, v := range m {
			evalFuncs[k] = v
		}
	}
}

func (p *pms) runEval(r *Rule, res *Result) int {
	f := evalFuncs[r.Eval]
	if f == nil {
		return 0
	}
	if r.Eval == "check_bayes" {
		return checkBayes(res, r.EvalArgs)
	}
	return f(p, r, r.EvalArgs)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
