package bayes

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// # Combining
//
// As SpamAssassin's Bayes plugin with Bayes::CombineChi:
//
//   - a token seen s times in ns spam and n times in nn ham has
//     p = s*nn / (n*ns + s*nn), pulled towards x by Robinson's f(w):
//     f = (S*X + (s+n)*p) / (S + s+n) with S = 0.030, X = 0.538;
//   - tokens whose |f - 0.5| is under 0.346 are ignored, and of the rest
//     only the 150 strongest count;
//   - the kept f values are combined with Fisher's chi-squared method
//     (Robinson): S = 1 - chi2q(-2 ln prod(1-f)), H = 1 - chi2q(-2 ln
//     prod f), result (S - H + 1) / 2, each product seeded with the
//     ns/(ns+nn) and nn/(ns+nn) priors as SpamAssassin 3.2+ does.
const (
	fwS             = 0.030 // FW_S_CONSTANT: strength of the prior
	fwX             = 0.538 // FW_X_CONSTANT: probability of an unseen token
	fwSDotX         = fwS * fwX
	minProbStrength = 0.346 // MIN_PROB_STRENGTH
	nSignificant    = 150   // N_SIGNIFICANT_TOKENS
)

// Token is one significant token of a classification.
type Token struct {
	Text      string  // the token, e.g. "HTo:D*example.com"
	P         float64 // its spam probability f(w)
	Spam, Ham int64   // messages of each class it was learned from
}

// Result is a classification with what it was based on.
type Result struct {
	P           float64 // spam probability in [0, 1]; meaningful only when OK
	OK          bool    // false: too little learned, or no significant token
	NSpam, NHam int64   // messages learned
	Tokens      int     // distinct tokens in the message
	Known       int     // of them present in the database
	Spammy      []Token // significant tokens with P >= 0.5, strongest first
	Hammy       []Token // significant tokens with P < 0.5, strongest first
}

// Probability returns the message's spam probability. ok is false when
// fewer than MinSpam spam or MinHam ham messages have been learned, or when
// no token of the message is significant; SpamAssassin fires no BAYES_ rule
// then.
func (c *Classifier) Probability(ctx context.Context, in Input) (p float64, ok bool, err error) {
	r, err := c.Classify(ctx, in)
	return r.P, r.OK, err
}

// Classify is Probability with the tokens that decided it.
func (c *Classifier) Classify(ctx context.Context, in Input) (Result, error) {
	var r Result
	var err error
	r.NSpam, r.NHam, err = c.Counts(ctx)
	if err != nil {
		return r, err
	}
	if r.NSpam < c.o.MinSpam || r.NHam < c.o.MinHam {
		return r, nil
	}
	toks := c.Tokens(in)
	r.Tokens = len(toks)
	hashes := make([]string, 0, len(toks))
	keys := make([]string, 0, 2*len(toks))
	for h := range toks {
		hashes = append(hashes, h)
		keys = append(keys, c.key("s:", h), c.key("h:", h))
	}
	counts, err := c.st.Counts(ctx, keys)
	if err != nil {
		return r, fmt.Errorf("bayes: classify: %w", err)
	}
	var sig []Token
	for i, h := range hashes {
		s, n := counts[2*i], counts[2*i+1]
		if s+n <= 0 {
			continue
		}
		r.Known++
		sig = append(sig, Token{Text: toks[h], P: tokenProb(s, n, r.NSpam, r.NHam), Spam: s, Ham: n})
	}
	sort.SliceStable(sig, func(i, j int) bool {
		si, sj := math.Abs(sig[i].P-0.5), math.Abs(sig[j].P-0.5)
		if si != sj {
			return si > sj
		}
		return sig[i].Text < sig[j].Text // deterministic order among equals
	})
	if len(sig) > nSignificant {
		sig = sig[:nSignificant]
	}
	probs := make([]float64, 0, len(sig))
	for _, t := range sig {
		if math.Abs(t.P-0.5) < minProbStrength {
			continue
		}
		probs = append(probs, t.P)
		if t.P < 0.5 {
			r.Hammy = append(r.Hammy, t)
		} else {
			r.Spammy = append(r.Spammy, t)
		}
	}
	if len(probs) == 0 {
		return r, nil
	}
	r.P, r.OK = chiCombine(r.NSpam, r.NHam, probs), true
	return r, nil
}

// tokenProb is Robinson's f(w) for a token seen in s spam and n ham of ns
// spam and nn ham learned.
func tokenProb(s, n, ns, nn int64) float64 {
	fs, fn := float64(s), float64(n)
	p := fs * float64(nn) / (fn*float64(ns) + fs*float64(nn))
	robn := fs + fn
	return (fwSDotX + robn*p) / (fwS + robn)
}

// chiCombine combines token probabilities (SpamAssassin's CombineChi).
// Products are kept as mantissa and binary exponent so hundreds of small
// factors do not underflow.
func chiCombine(ns, nn int64, probs []float64) float64 {
	total := float64(ns + nn)
	S, H := float64(ns)/total, float64(nn)/total
	var sExp, hExp int
	for _, p := range probs {
		S *= 1 - p
		H *= p
		if S < 1e-200 {
			var e int
			S, e = math.Frexp(S)
			sExp += e
		}
		if H < 1e-200 {
			var e int
			H, e = math.Frexp(H)
			hExp += e
		}
	}
	lnS := math.Log(S) + float64(sExp)*math.Ln2
	lnH := math.Log(H) + float64(hExp)*math.Ln2
	s := 1 - chi2q(-2*lnS, len(probs))
	h := 1 - chi2q(-2*lnH, len(probs))
	return (s - h + 1) / 2
}

// chi2q is the chi-squared survival function for an even number of degrees
// of freedom 2*halfv, capped at 1.
func chi2q(x2 float64, halfv int) float64 {
	m := x2 / 2
	term := math.Exp(-m)
	sum := term
	for i := 1; i < halfv; i++ {
		term *= m / float64(i)
		sum += term
	}
	return math.Min(sum, 1)
}

// Range is one BAYES_ rule of SpamAssassin's 23_bayes.cf: it fires when
// Min < p <= Max (Min == 0 includes p == 0).
type Range struct {
	Rule     string
	Min, Max float64
}

// Ranges are the stock BAYES_ rules.
var Ranges = []Range{
	{"BAYES_00", 0, 0.01},
	{"BAYES_05", 0.01, 0.05},
	{"BAYES_20", 0.05, 0.20},
	{"BAYES_40", 0.20, 0.40},
	{"BAYES_50", 0.40, 0.60},
	{"BAYES_60", 0.60, 0.80},
	{"BAYES_80", 0.80, 0.95},
	{"BAYES_95", 0.95, 0.99},
	{"BAYES_99", 0.99, 1.00},
	{"BAYES_999", 0.999, 1.00},
}

// Rules returns the names of the stock BAYES_ rules that p fires, as
// check_bayes(min, max) decides: BAYES_99 and BAYES_999 both fire above
// 0.999.
func Rules(p float64) []string {
	var out []string
	for _, r := range Ranges {
		if InRange(p, r.Min, r.Max) {
			out = append(out, r.Rule)
		}
	}
	return out
}

// InRange is check_bayes's test, for rules with their own ranges.
func InRange(p, min, max float64) bool {
	return (min == 0 || p > min) && p <= max
}
