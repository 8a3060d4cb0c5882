package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Spam configures the SpamAssassin-compatible spam engine (internal/sarules)
// and the spamd protocol listener. See docs/config-spam.md.
type Spam struct {
	// Enabled turns spam scoring on.
	Enabled bool `yaml:"enabled"`
	// RulesDir holds the stock rules (*.cf), SpamAssassin's
	// /usr/share/spamassassin (or sa-update's output).
	RulesDir string `yaml:"rules_dir"`
	// SiteRulesDir holds site rule files (*.cf) read after RulesDir.
	SiteRulesDir string `yaml:"site_rules_dir"`
	// LocalCF is the site local.cf read last; "" = SiteRulesDir/local.cf.
	LocalCF string `yaml:"local_cf"`
	// RequiredScore: a message scoring this much is spam (required_score).
	RequiredScore float64 `yaml:"required_score"`
	// TagScore: from this score the message is tagged (headers, subject);
	// 0 = RequiredScore.
	TagScore float64 `yaml:"tag_score"`
	// QuarantineScore: from this score the message is quarantined; 0 = off.
	QuarantineScore float64 `yaml:"quarantine_score"`
	// RejectScore: from this score the message is rejected; 0 = off.
	RejectScore float64 `yaml:"reject_score"`
	// RejectText is the SMTP reply for RejectScore.
	RejectText string `yaml:"reject_text"`
	// RuleActions force an action when a rule hits, whatever the score.
	RuleActions map[string]SpamRuleAction `yaml:"rule_actions"`
	// SkipNetworks are client networks whose mail is not spam-checked.
	SkipNetworks []string `yaml:"skip_networks"`
	// Domains are per-domain preferences (key: domain), overriding the
	// keys above for mail to that domain.
	Domains map[string]SpamPrefs `yaml:"domains"`
	// Recipients are per-recipient preferences (key: local@domain),
	// overriding the domain's and the keys above.
	Recipients map[string]SpamPrefs `yaml:"recipients"`
	// UseBayes enables the Bayes classifier (BAYES_* rules).
	UseBayes bool `yaml:"use_bayes"`
	// BayesAutoLearn trains Bayes from clear verdicts (with the rule
	// files' bayes_auto_learn and thresholds).
	BayesAutoLearn bool `yaml:"bayes_auto_learn"`
	// ReportSafe is SpamAssassin's report_safe for tagged spam in the
	// pipeline: 0 adds headers only (X-Spam-Report included), 1 attaches
	// the original to a report as message/rfc822, 2 as text/plain.
	ReportSafe int `yaml:"report_safe"`
	// SpamdListen are addresses for the spamd protocol (port 783 style).
	SpamdListen []string `yaml:"spamd_listen"`
	// SpamdAllowTell lets spamd clients train Bayes (TELL).
	SpamdAllowTell bool `yaml:"spamd_allow_tell"`
	// DNSTests enables network rules (DNSBL, URIBL, AskDNS, DKIM, SPF,
	// DMARC), asking dns.servers; off = spamassassin -L.
	DNSTests bool `yaml:"dns_tests"`
	// DNSTimeout bounds all network look-ups for one message (they run in
	// parallel); answers that come later do not count.
	DNSTimeout time.Duration `yaml:"dns_timeout"`
	// MaxBodyBytes: larger messages are not spam-checked.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// SpamRuleAction is a forced action for one rule.
type SpamRuleAction struct {
	// Action: reject, quarantine, discard or tag.
	Action string `yaml:"action"`
	// Reply is the SMTP reply for reject, e.g.
	// "553 5.7.1 advertisement mail not accepted".
	Reply string `yaml:"reply"`
}

func (c *Spam) setDefaults() {
	c.Enabled = true
	c.RulesDir = "/usr/share/spamassassin"
	c.SiteRulesDir = "/etc/mailwall/spamassassin"
	c.RequiredScore = 5.0
	c.RejectText = "550 5.7.1 message rejected as spam"
	c.UseBayes = true
	c.BayesAutoLearn = true
	c.DNSTests = true
	c.DNSTimeout = 10 * time.Second // below SpamAssassin's rbl_timeout (15 s): the SMTP client waits
	c.MaxBodyBytes = 512 << 10      // spamc's default -s limit
}

func (c *Spam) validate(v *validator) {
	if c.Enabled && c.RulesDir == "" {
		v.errorf("spam.rules_dir", "must not be empty")
	}
	if c.RequiredScore <= 0 {
		v.errorf("spam.required_score", "must be positive")
	}
	if c.TagScore < 0 || c.QuarantineScore < 0 || c.RejectScore < 0 {
		v.errorf("spam", "tag_score, quarantine_score and reject_score must not be negative")
	}
	if c.QuarantineScore > 0 && c.RejectScore > 0 && c.RejectScore < c.QuarantineScore {
		v.errorf("spam.reject_score", "must not be below quarantine_score")
	}
	if c.RejectText != "" {
		spamCheckReply(v, "spam.reject_text", c.RejectText)
	}
	for name, a := range c.RuleActions {
		key := "spam.rule_actions." + name
		switch a.Action {
		case "reject":
			if a.Reply != "" {
				spamCheckReply(v, key+".reply", a.Reply)
			}
		case "quarantine", "discard", "tag":
		default:
			v.errorf(key+".action", "must be reject, quarantine, discard or tag, not %q", a.Action)
		}
	}
	for i, n := range c.SkipNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			if _, err2 := netip.ParseAddr(n); err2 != nil {
				v.errorf(fmt.Sprintf("spam.skip_networks.%d", i), "not a network: %v", err)
			}
		}
	}
	if c.DNSTimeout < 0 {
		v.errorf("spam.dns_timeout", "must not be negative")
	}
	if c.ReportSafe < 0 || c.ReportSafe > 2 {
		v.errorf("spam.report_safe", "must be 0, 1 or 2")
	}
	if c.MaxBodyBytes <= 0 {
		v.errorf("spam.max_body_bytes", "must be positive")
	}
	c.validatePrefs(v)
}

// spamCheckReply checks "5xx x.y.z text" with no CR/LF.
func spamCheckReply(v *validator, key, s string) {
	if strings.ContainsAny(s, "\r\n") {
		v.errorf(key, "must be one line")
		return
	}
	if len(s) < 4 || s[0] != '5' || s[3] != ' ' {
		v.errorf(key, "must start with a 5xx code, e.g. \"550 5.7.1 text\"")
	}
}
