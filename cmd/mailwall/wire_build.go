package main

import (
	"context"
	"log/slog"

	"mailwall/internal/config"
	"mailwall/internal/dnsbl"
	"mailwall/internal/envelope"
	"mailwall/internal/gateway"
	"mailwall/internal/policy"
	"mailwall/internal/scan"
)

// buildPolicy returns the pre-DATA policy chain for cfg. state carries
// the counters (rate limits, login throttling) across reloads, so a SIGHUP
// forgives nothing.
func buildPolicy(cfg *config.Config, log *slog.Logger, state *policy.State) (gateway.Policy, func(), error) {
	pc, err := policyConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	pc.State = state
	e, err := policy.New(pc, log, dnsbl.New(cfg.DNS.Servers, cfg.DNS.Timeout))
	if err != nil {
		return nil, nil, err
	}
	return policyAdapter{e: e}, e.Close, nil
}

// policyAdapter turns policy decisions into the gateway's errors.
type policyAdapter struct{ e *policy.Engine }

var _ gateway.Policy = policyAdapter{}

func decisionErr(d policy.Decision, smtputf8 bool) error {
	switch d.Action {
	case policy.Reject, policy.TempFail:
		return d.SMTPError(smtputf8)
	case policy.Discard:
		return gateway.ErrDiscard
	}
	return nil
}

func (p policyAdapter) Connect(ctx context.Context, c *envelope.Conn) error {
	return decisionErr(p.e.Connect(ctx, c), false)
}

func (p policyAdapter) Helo(ctx context.Context, c *envelope.Conn) error {
	return decisionErr(p.e.Helo(ctx, c), false)
}

func (p policyAdapter) Mail(ctx context.Context, c *envelope.Conn, env *envelope.Envelope) error {
	return decisionErr(p.e.Mail(ctx, c, env.From), env.SMTPUTF8)
}

func (p policyAdapter) Rcpt(ctx context.Context, c *envelope.Conn, env *envelope.Envelope, raw string) (envelope.Address, error) {
	a, d := p.e.Rcpt(ctx, c, env.From, raw)
	return a, decisionErr(d, env.SMTPUTF8)
}

func (p policyAdapter) Data(ctx context.Context, c *envelope.Conn, env *envelope.Envelope) error {
	return decisionErr(p.e.Data(ctx, c, env), env.SMTPUTF8)
}

func (p policyAdapter) Authenticate(ctx context.Context, c *envelope.Conn, user, pass string) error {
	return p.e.Authenticate(ctx, c, user, pass)
}

func (p policyAdapter) TooManyErrors(c *envelope.Conn) bool { return p.e.NoteError(c) }

func (p policyAdapter) Disconnect(c *envelope.Conn) { p.e.Disconnect(c) }

// buildScanners returns the content scanners for cfg, in report order:
// the antivirus engines (built once per process, see app.av), then spam
// (rules loaded again at each reload).
func (a *app) buildScanners(cfg *config.Config) ([]scan.Scanner, error) {
	out := append([]scan.Scanner(nil), a.virus...)
	sp, err := newSpamScanner(cfg, a.log)
	if err != nil {
		return nil, err
	}
	if sp != nil && a.bayes != nil {
		sp.Bayes = bayesHook{a.bayes}
		sp.AutoLearn = newAutoLearner(a.bayes, cfg.Spam.BayesAutoLearn, a.log)
	}
	a.spam.Store(sp) // the spamd listener follows reloads
	if sp != nil {
		out = append(out, sp)
	}
	return out, nil
}
