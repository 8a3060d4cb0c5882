package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"mailwall/internal/bayes"
	"mailwall/internal/config"
	"mailwall/internal/sarules"
	"mailwall/internal/scan/spam"
	"mailwall/internal/spamd"
	"mailwall/internal/store"
)

// openBayes opens the state store and the Bayes classifier when the spam
// section asks for Bayes; nil, nil otherwise. The embedded store is one
// file that only one process may hold: while serve runs, train it through
// its spamd listener (spamc -L spam|ham, with spam.spamd_allow_tell) or
// share a Redis store.
func openBayes(cfg *config.Config, log *slog.Logger) (*bayes.Classifier, store.Store, error) {
	if !cfg.Spam.Enabled || !cfg.Spam.UseBayes {
		return nil, nil, nil
	}
	if _, err := os.Stat(cfg.Spam.RulesDir); err != nil && cfg.Demo {
		return nil, nil, nil // the demo without rules has no spam engine
	}
	st, err := store.Open(defaultStoreURL(cfg))
	if err != nil {
		return nil, nil, fmt.Errorf("bayes state store: %w", err)
	}
	bo, err := bayesOptions(cfg)
	if err != nil {
		log.Warn("bayes settings from the rule files not read; defaults used", "err", err)
		bo = bayes.Options{}
	}
	return bayes.New(st, bo), st, nil
}

// bayesHook gives the rule engine the classifier's probability.
type bayesHook struct{ c *bayes.Classifier }

var _ sarules.BayesHook = bayesHook{}

func (h bayesHook) SpamProbability(ctx context.Context, m *sarules.Message) (float64, bool) {
	p, ok, err := h.c.Probability(ctx, bayes.InputFromRaw(m.Raw))
	return p, ok && err == nil
}

// bayesLearner trains the classifier for spamd TELL.
type bayesLearner struct{ c *bayes.Classifier }

var _ spamd.Learner = bayesLearner{}

func (l bayesLearner) Learn(ctx context.Context, msg []byte, spam, forget bool) error {
	// LF line ends, as the rule engine's copy that the Bayes hook and
	// auto-learning see, so a message has one identity in the store
	in := bayes.InputFromRaw(bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")))
	var err error
	if forget {
		err = l.c.Forget(ctx, in)
	} else {
		err = l.c.Learn(ctx, in, spam)
	}
	if errors.Is(err, bayes.ErrAlreadyLearned) || errors.Is(err, bayes.ErrNotLearned) {
		return spamd.ErrUnchanged
	}
	return err
}

// autoLearner is Bayes auto-learning (SpamAssassin's bayes_auto_learn
// with the AutoLearnThreshold plugin): after a check, a message scoring
// clearly as spam or ham is learned into the store.
//
// Learning runs in the checking goroutine, bounded: one message at a time
// (a message that finds another being learned is not learned, status
// "unavailable", so a slow store never queues up SMTP sessions) and at
// most learnTimeout. No goroutine is started.
type autoLearner struct {
	c    *bayes.Classifier
	on   bool // spam.bayes_auto_learn
	busy chan struct{}
	log  *slog.Logger
}

// learnTimeout bounds one auto-learn write (a store write, well under a
// second when healthy).
const learnTimeout = 5 * time.Second

var _ spam.AutoLearner = (*autoLearner)(nil)

func newAutoLearner(c *bayes.Classifier, on bool, log *slog.Logger) *autoLearner {
	return &autoLearner{c: c, on: on, busy: make(chan struct{}, 1), log: log}
}

func (a *autoLearner) AutoLearn(ctx context.Context, m *sarules.Message, res *sarules.Result) {
	set := res.AutoLearnSettings()
	if !a.on || !set.Enabled || a.c == nil || res.ScoreSet&2 == 0 {
		res.SetAutolearn(sarules.AutolearnDisabled, nil)
		return
	}
	pts := res.AutoLearnPoints()
	var bayesRules []string
	for _, t := range res.Tests() {
		if strings.HasPrefix(t, "BAYES_") {
			bayesRules = append(bayesRules, t)
		}
	}
	learn, isSpam := bayes.AutoLearn{HamThreshold: set.HamThreshold, SpamThreshold: set.SpamThreshold, OnError: set.OnError}.Decide(
		bayes.AutoLearnInput{Points: pts.Points, HeadPoints: pts.Head, BodyPoints: pts.Body, LearnedPoints: pts.Learned,
			IsSpam: res.IsSpam, Force: len(pts.Force) > 0, BayesRules: bayesRules})
	if !learn {
		res.SetAutolearn(sarules.AutolearnNo, nil)
		return
	}
	select {
	case a.busy <- struct{}{}:
		defer func() { <-a.busy }()
	default:
		res.SetAutolearn(sarules.AutolearnUnavailable, pts.Force)
		return
	}
	lctx, cancel := context.WithTimeout(ctx, learnTimeout)
	defer cancel()
	err := a.c.AutoLearnMessage(lctx, bayes.InputFromRaw(m.Raw), isSpam)
	switch {
	case errors.Is(err, bayes.ErrAlreadyLearned):
		res.SetAutolearn(sarules.AutolearnUnavailable, pts.Force)
	case err != nil:
		a.log.Warn("bayes auto-learn failed", "err", err)
		res.SetAutolearn(sarules.AutolearnFailed, pts.Force)
	case isSpam:
		res.SetAutolearn(sarules.AutolearnSpam, pts.Force)
	default:
		res.SetAutolearn(sarules.AutolearnHam, pts.Force)
	}
}
