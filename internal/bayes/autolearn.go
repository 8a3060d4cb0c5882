package bayes

import (
	"context"
	"fmt"
)

// AutoLearn decides, as SpamAssassin's AutoLearnThreshold plugin does,
// whether a scanned message is clear enough to be learned without a human.
// The rule engine supplies the points; the caller then calls Learn.
type AutoLearn struct {
	HamThreshold  float64 // bayes_auto_learn_threshold_nonspam; default 0.1
	SpamThreshold float64 // bayes_auto_learn_threshold_spam; default 12.0
	OnError       bool    // bayes_auto_learn_on_error: learn only what Bayes got wrong
}

// AutoLearnInput are the points of one scan. Points exclude the Bayes
// rules and rules with tflags noautolearn, and come from the score set
// without Bayes (SpamAssassin's get_autolearn_points).
type AutoLearnInput struct {
	Points        float64 // total
	HeadPoints    float64 // from header rules only
	BodyPoints    float64 // from body rules only
	LearnedPoints float64 // from tflags learn rules (the BAYES_ rules)
	IsSpam        bool    // the final verdict
	Force         bool    // a rule with tflags autolearn_force hit
	BayesRules    []string
}

// Decide returns whether to learn and as which class.
func (a AutoLearn) Decide(in AutoLearnInput) (learn, spam bool) {
	ham, sp := a.HamThreshold, a.SpamThreshold
	if ham == 0 && sp == 0 {
		ham, sp = 0.1, 12.0
	}
	switch {
	case in.Points < ham:
		spam = false
	case in.Points >= sp:
		spam = true
	default:
		return false, false
	}
	if spam {
		// A spam verdict needs evidence in both head and body (3 points
		// each), unless forced, and Bayes must not have called it ham.
		need := 3.0
		if in.Force {
			need = -99
		}
		if in.BodyPoints < need || in.HeadPoints < need || in.LearnedPoints < -1 || !in.IsSpam {
			return false, false
		}
	} else if in.LearnedPoints > 1 || in.IsSpam {
		return false, false
	}
	if a.OnError {
		for _, r := range in.BayesRules {
			if spam && r == "BAYES_99" || !spam && r == "BAYES_00" {
				return false, false // Bayes already knew
			}
		}
	}
	return true, spam
}

// AutoLearnMessage learns in as auto-learning does. QUIRK: like
// SpamAssassin (bug 3704, no_relearn) a message learned before, as either
// class, is left alone and ErrAlreadyLearned returned, so auto-learning
// never overturns what a person taught with sa-learn or spamc -L.
func (c *Classifier) AutoLearnMessage(ctx context.Context, in Input, spam bool) error {
	prev, ok, err := c.st.Get(ctx, c.o.Prefix+"seen:"+msgID(in))
	if err != nil {
		return fmt.Errorf("bayes: auto-learn: %w", err)
	}
	if ok && (string(prev) == classTag(true) || string(prev) == classTag(false)) {
		return ErrAlreadyLearned
	}
	return c.Learn(ctx, in, spam)
}
