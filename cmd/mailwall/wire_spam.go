package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mailwall/internal/config"
	"mailwall/internal/dnsbl"
	"mailwall/internal/sarules"
	"mailwall/internal/scan/spam"
	"mailwall/internal/smtp"
	"mailwall/internal/verdict"
)

// newSpamScanner loads the rules of the spam section; nil when disabled.
func newSpamScanner(cfg *config.Config, log *slog.Logger) (*spam.Engine, error) {
	sc := cfg.Spam
	if !sc.Enabled {
		return nil, nil
	}
	if _, err := os.Stat(sc.RulesDir); err != nil {
		if cfg.Demo {
			log.Warn("demo: no SpamAssassin rules, spam scanning off (apt-get install spamassassin)", "dir", sc.RulesDir)
			return nil, nil
		}
		return nil, fmt.Errorf("spam.rules_dir: %w (install spamassassin's rules or set spam.enabled: false)", err)
	}
	site := sc.SiteRulesDir
	if _, err := os.Stat(site); site != "" && err != nil {
		log.Info("no site rules directory; stock rules only", "dir", site)
		site = ""
	}
	rs, err := loadRules(sc.RulesDir, site, sc.LocalCF, logWriter{log})
	if err != nil {
		return nil, fmt.Errorf("spam rules: %w", err)
	}
	if sarules.HyperscanBuilt {
		// seconds for the stock rules (instant from the cache): checks
		// run on the engine's own prefilters until it is ready
		go func() {
			st, err := rs.CompileHyperscan(filepath.Join(cfg.DataDir, "hyperscan"))
			if err != nil {
				log.Warn("hyperscan prefilter not built; the rule engine's own prefilters run", "err", err)
				return
			}
			log.Info("hyperscan prefilter ready", "databases", st.Databases, "from_cache", st.Cached,
				"rules", st.Rules, "refused", st.Refused, "took", st.Took.Round(time.Millisecond))
		}()
	}
	e := &spam.Engine{Rules: rs, Local: !sc.DNSTests, MaxBytes: sc.MaxBodyBytes, DNSTimeout: sc.DNSTimeout,
		ReportSafe: sc.ReportSafe}
	if sc.DNSTests {
		// one resolver per pipeline: its cache serves every message
		e.DNS = dnsbl.New(cfg.DNS.Servers, cfg.DNS.Timeout)
	}
	// the rules' trust path knows our own networks and name
	e.Gateway.By = cfg.Hostname
	for _, n := range cfg.TrustedNetworks {
		p, err := config.ParsePrefix(n)
		if err != nil {
			return nil, fmt.Errorf("trusted_networks: %w", err)
		}
		e.Gateway.Trusted = append(e.Gateway.Trusted, p)
	}
	for _, n := range sc.SkipNetworks {
		p, err := config.ParsePrefix(n)
		if err != nil {
			return nil, fmt.Errorf("spam.skip_networks: %w", err)
		}
		e.Skip = append(e.Skip, p)
	}
	log.Info("spam rules loaded", "dir", sc.RulesDir)
	return e, nil
}

// spamVerdict fills the spam thresholds and forced rule actions.
func spamVerdict(cfg *config.Config, vc *verdict.Config) error {
	sc := cfg.Spam
	vc.TagScore = sc.TagScore
	if vc.TagScore == 0 {
		vc.TagScore = sc.RequiredScore
	}
	vc.QuarantineScore, vc.RejectScore = sc.QuarantineScore, sc.RejectScore
	if sc.RejectText != "" {
		r, err := parseReply(sc.RejectText)
		if err != nil {
			return fmt.Errorf("spam.reject_text: %w", err)
		}
		vc.SpamReject = r
	}
	for name, ra := range sc.RuleActions {
		a, err := verdict.ParseAction(ra.Action)
		if err != nil {
			return fmt.Errorf("spam.rule_actions.%s: %w", name, err)
		}
		r := verdict.Rule{Action: a}
		if ra.Reply != "" {
			if r, err = parseReply(ra.Reply); err != nil {
				return fmt.Errorf("spam.rule_actions.%s.reply: %w", name, err)
			}
			r.Action = a
		}
		vc.Rules[name] = r
	}
	return nil
}

// parseReply parses "553 5.7.1 text" (the enhanced code is optional).
func parseReply(s string) (verdict.Rule, error) {
	code, rest, _ := strings.Cut(s, " ")
	n, err := strconv.Atoi(code)
	if err != nil || n < 400 || n > 599 {
		return verdict.Rule{}, fmt.Errorf("%q: want a 4xx or 5xx reply", s)
	}
	r := verdict.Rule{Code: n, Text: rest}
	if enh, text, ok := strings.Cut(rest, " "); ok {
		var e smtp.EnhancedCode
		if k, _ := fmt.Sscanf(enh, "%d.%d.%d", &e[0], &e[1], &e[2]); k == 3 && e[0] == n/100 {
			r.Enh, r.Text = e, text
		}
	}
	return r, nil
}

// logWriter sends rule-file warnings to the structured log.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Warn(strings.TrimSpace(string(p)))
	return len(p), nil
}

var _ io.Writer = logWriter{}
