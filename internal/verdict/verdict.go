// Package verdict decides what happens to a message from the scanners'
// report. Decide is a pure function: same config and report, same verdict.
//
// Order of precedence (first match wins):
//  1. a virus finding (CLAM_VIRUS) -> Config.Virus
//  2. a failed scanner (<NAME>_FAIL) -> Config.Fail[NAME] or Config.FailDefault
//  3. a forced rule action (Config.Rules[symbol]), most severe first
//  4. a heuristic limit finding (CLAM_LIMITS) -> Config.Limits
//  5. the spam score against the reject, quarantine and tag thresholds
//  6. accept
//
// A Config may hold per-domain and per-recipient Configs (spam
// preferences); Plan decides a transaction's recipients one by one and
// says how to combine them (see prefs.go).
package verdict

import (
	"fmt"
	"sort"
	"strings"

	"mailwall/internal/scan"
	"mailwall/internal/smtp"
)

// Action is what to do with the message.
type Action int

// Actions, in increasing severity.
//
// The zero Action means "not configured": Decide uses the default for the
// case.
const (
	Accept     Action = iota + 1 // deliver (with headers)
	Tag                          // deliver, marked as spam (X-Spam-Flag, subject tag)
	Quarantine                   // keep aside, do not deliver
	Discard                      // say 250, drop
	TempFail                     // 451: try again later
	Reject                       // 5xx
)

var actionNames = [...]string{"", "accept", "tag", "quarantine", "discard", "tempfail", "reject"}

func (a Action) String() string {
	if a > 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// ParseAction parses an action name as written in the config.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if i > 0 && strings.EqualFold(s, n) {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q (want accept, tag, quarantine, discard, tempfail or reject)", s)
}

// Rule is a configured action with an optional reply.
type Rule struct {
	Action Action
	Code   int               // reply code for Reject/TempFail; 0 = default
	Enh    smtp.EnhancedCode // enhanced code; zero = default
	Text   string            // reply text; "" = default
}

// Config is the decision table.
type Config struct {
	Virus       Rule            // on CLAM_VIRUS; default Reject 554 5.7.1
	Limits      Rule            // on CLAM_LIMITS (Heuristics.Limits.Exceeded...); default Accept
	Encrypted   Rule            // on CLAM_ENCRYPTED (Heuristics.Encrypted...); default Accept
	FailDefault Rule            // on any <NAME>_FAIL; default TempFail 451 4.7.1
	Fail        map[string]Rule // per scanner name (without _FAIL)
	Rules       map[string]Rule // forced action per rule symbol
	// Spam thresholds; 0 disables a threshold. TagScore 0 means use the
	// spam scanner's own required score.
	TagScore, QuarantineScore, RejectScore float64
	SpamReject                             Rule // reply used when RejectScore is reached
	// SpamOff: the spam check is off (spam.enabled: false for a domain
	// or recipient): Decide ignores the spam scanner's result (score,
	// rule hits, failure), so no spam rule action can match.
	SpamOff bool
	// Domains and Recipients are the spam preferences: complete
	// Configs (the wiring merges the overrides) keyed by lower-case
	// domain and lower-case address. A recipient's entry beats its
	// domain's, which beats this Config. Their own Domains and
	// Recipients are not consulted.
	Domains, Recipients map[string]*Config
}

// Symbols used by the scanners that the verdict knows by name.
const (
	SymVirus     = "CLAM_VIRUS"
	SymLimits    = "CLAM_LIMITS"
	SymEncrypted = "CLAM_ENCRYPTED"
)

// Verdict is the decision.
type Verdict struct {
	Action Action
	Err    *smtp.Error // reply for Reject/TempFail
	Reason string      // named reason (smtp.Reason*)
	Detail string      // e.g. the virus name or the rule
	Score  float64     // total spam score
	Spam   bool        // score reached the tag threshold
	// Unscanned names the scanners that failed when the configured
	// failure action let the message through (fail-open); the action
	// stage marks such a message with a header.
	Unscanned []string
}

// Decide returns the verdict for rep under cfg.
func Decide(cfg *Config, rep *scan.Report) Verdict {
	rep = cfg.view(rep)
	score, required := spamScore(rep)
	v := Verdict{Action: Accept, Score: score}
	tag := cfg.TagScore
	if tag == 0 {
		tag = required
	}
	v.Spam = tag > 0 && score >= tag
	if f, ok := rep.Has(SymVirus); ok {
		return v.with(cfg.Virus, Reject, smtp.ReasonVirus, f.Detail,
			554, smtp.EnhancedCode{5, 7, 1}, "Virus found: "+f.Detail)
	}
	if fails := rep.Failed(); len(fails) > 0 {
		name := strings.TrimSuffix(fails[0].Symbol, "_FAIL")
		r, ok := cfg.Fail[name]
		if !ok {
			r = cfg.FailDefault
		}
		if r.Action != Accept {
			return v.with(r, TempFail, smtp.ReasonScannerFailed, fails[0].Symbol,
				451, smtp.EnhancedCode{4, 7, 1}, "Message could not be scanned, try again later")
		}
		for _, f := range fails {
			v.Unscanned = append(v.Unscanned, strings.TrimSuffix(f.Symbol, "_FAIL"))
		}
	}
	if r, sym, ok := forcedRule(cfg, rep); ok {
		return v.with(r, r.Action, smtp.ReasonRule, sym,
			550, smtp.EnhancedCode{5, 7, 1}, "Message rejected by policy")
	}
	for _, h := range []struct {
		sym    string
		rule   Rule
		reason string
	}{{SymLimits, cfg.Limits, smtp.ReasonLimitsExceeded}, {SymEncrypted, cfg.Encrypted, smtp.ReasonEncrypted}} {
		if f, ok := rep.Has(h.sym); ok && h.rule.Action > Accept {
			return v.with(h.rule, h.rule.Action, h.reason, f.Detail,
				554, smtp.EnhancedCode{5, 7, 1}, "Message could not be fully scanned: "+f.Detail)
		}
	}
	switch {
	case cfg.RejectScore > 0 && score >= cfg.RejectScore:
		return v.with(cfg.SpamReject, Reject, smtp.ReasonSpam, fmt.Sprintf("score %.1f", score),
			550, smtp.EnhancedCode{5, 7, 1}, "Message rejected as spam")
	case cfg.QuarantineScore > 0 && score >= cfg.QuarantineScore:
		v.Action, v.Reason = Quarantine, smtp.ReasonSpam
	case v.Spam:
		v.Action, v.Reason = Tag, smtp.ReasonSpam
	}
	return v
}

// with fills v from r, using the defaults where r leaves them out.
func (v Verdict) with(r Rule, def Action, reason, detail string, code int, enh smtp.EnhancedCode, text string) Verdict {
	v.Action, v.Reason, v.Detail = r.Action, reason, detail
	if v.Action == 0 {
		v.Action = def
	}
	if r.Code != 0 {
		code = r.Code
	}
	if r.Enh != (smtp.EnhancedCode{}) {
		enh = r.Enh
	}
	if r.Text != "" {
		text = r.Text
	}
	switch v.Action {
	case Reject:
		if code < 500 {
			code = 550
		}
		v.Err = smtp.New(code, enh, reason, smtp.Sanitize(text))
	case TempFail:
		if code < 400 || code >= 500 {
			code, enh = 451, smtp.EnhancedCode{4, 7, 1}
		}
		v.Err = smtp.New(code, enh, reason, smtp.Sanitize(text))
	}
	return v
}

// spamScore is the score of the scanner that computes its own (the spam
// engine) plus the scores of every other finding.
func spamScore(rep *scan.Report) (score, required float64) {
	for _, res := range rep.Results {
		if res == nil {
			continue
		}
		if res.Threshold > 0 {
			required = res.Threshold
		}
		if res.Score != 0 {
			score += res.Score
			continue
		}
		for _, f := range res.Findings {
			score += f.Score
		}
	}
	return score, required
}

// forcedRule returns the most severe configured rule among the findings.
func forcedRule(cfg *Config, rep *scan.Report) (Rule, string, bool) {
	if len(cfg.Rules) == 0 {
		return Rule{}, "", false
	}
	var syms []string
	for _, f := range rep.Findings() {
		if _, ok := cfg.Rules[f.Symbol]; ok {
			syms = append(syms, f.Symbol)
		}
	}
	if len(syms) == 0 {
		return Rule{}, "", false
	}
	sort.SliceStable(syms, func(i, j int) bool {
		return cfg.Rules[syms[i]].Action > cfg.Rules[syms[j]].Action
	})
	return cfg.Rules[syms[0]], syms[0], true
}
