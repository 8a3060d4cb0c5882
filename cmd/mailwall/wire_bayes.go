package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"mailwall/internal/bayes"
	"mailwall/internal/config"
	"mailwall/internal/sarules"
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
	in := bayes.InputFromRaw(msg)
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
