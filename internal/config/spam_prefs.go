package config

import (
	"fmt"
	"sort"
	"strings"
)

// SpamPrefs are one domain's or one recipient's spam preferences
// (spam.domains, spam.recipients), like Amavis's per-recipient policy
// banks or SpamAssassin's user_prefs. Every field is optional: an absent
// one keeps the value of the level above (recipient → domain → the spam
// section). See docs/config-spam.md, "Per-domain and per-recipient
// preferences".
type SpamPrefs struct {
	// Enabled: false turns the spam check off for this domain or
	// recipient (no spam headers, no spam action).
	Enabled *bool `yaml:"enabled"`
	// RequiredScore: a message scoring this much is spam. Set without
	// TagScore, tagging follows it (tag_score 0).
	RequiredScore *float64 `yaml:"required_score"`
	// TagScore: from this score the message is tagged; 0 = RequiredScore.
	TagScore *float64 `yaml:"tag_score"`
	// QuarantineScore: from this score the message is quarantined; 0 = off.
	QuarantineScore *float64 `yaml:"quarantine_score"`
	// RejectScore: from this score the message is rejected; 0 = off.
	RejectScore *float64 `yaml:"reject_score"`
	// RejectText is the SMTP reply for RejectScore.
	RejectText *string `yaml:"reject_text"`
	// RuleActions add to or replace the forced actions of the level
	// above, rule by rule; action "none" removes an inherited one.
	RuleActions map[string]SpamRuleAction `yaml:"rule_actions"`
}

// Merged returns c with the preferences p applied (c is not changed).
// Only the keys of the spam verdict are merged; the rest of c is kept.
func (c Spam) Merged(p SpamPrefs) Spam {
	out := c
	out.Domains, out.Recipients = nil, nil
	if p.Enabled != nil {
		out.Enabled = *p.Enabled
	}
	if p.RequiredScore != nil {
		out.RequiredScore = *p.RequiredScore
		if p.TagScore == nil {
			out.TagScore = 0 // tag at this level's required_score
		}
	}
	for _, f := range []struct {
		in  *float64
		out *float64
	}{{p.TagScore, &out.TagScore}, {p.QuarantineScore, &out.QuarantineScore}, {p.RejectScore, &out.RejectScore}} {
		if f.in != nil {
			*f.out = *f.in
		}
	}
	if p.RejectText != nil {
		out.RejectText = *p.RejectText
	}
	if len(p.RuleActions) > 0 {
		out.RuleActions = make(map[string]SpamRuleAction, len(c.RuleActions)+len(p.RuleActions))
		for k, v := range c.RuleActions {
			out.RuleActions[k] = v
		}
		for k, v := range p.RuleActions {
			if v.Action == "none" {
				delete(out.RuleActions, k)
			} else {
				out.RuleActions[k] = v
			}
		}
	}
	return out
}

// DomainOf returns the lower-case domain of a spam.recipients key.
func DomainOf(addr string) string {
	return strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
}

// ForDomain returns the spam settings for mail to domain (lower case):
// the spam section with the domain's preferences applied, if any.
func (c Spam) ForDomain(domain string) Spam {
	for k, p := range c.Domains {
		if strings.EqualFold(k, domain) {
			return c.Merged(p)
		}
	}
	return c.Merged(SpamPrefs{})
}

// validatePrefs checks spam.domains and spam.recipients: well-formed,
// unique keys, and the settings each level ends up with.
func (c *Spam) validatePrefs(v *validator) {
	check := func(section string, prefs map[string]SpamPrefs, key func(string) string, base func(string) Spam) {
		seen := map[string]string{}
		for _, name := range sortedKeys(prefs) {
			p := prefs[name]
			path := []string{"spam", section, name}
			show := fmt.Sprintf("spam.%s[%s]", section, name)
			if k := key(name); k == "" {
				continue
			} else if prev, dup := seen[k]; dup {
				v.errorAt(path, show, "same as %q (keys ignore case)", prev)
			} else {
				seen[k] = name
			}
			for _, f := range []struct {
				key string
				val *float64
			}{{"required_score", p.RequiredScore}, {"tag_score", p.TagScore},
				{"quarantine_score", p.QuarantineScore}, {"reject_score", p.RejectScore}} {
				if f.val != nil && *f.val < 0 {
					v.errorAt(append(path, f.key), show+"."+f.key, "must not be negative")
				}
			}
			if p.RequiredScore != nil && *p.RequiredScore == 0 {
				v.errorAt(append(path, "required_score"), show+".required_score", "must be positive")
			}
			if p.Enabled != nil && *p.Enabled && !c.Enabled {
				v.errorAt(append(path, "enabled"), show+".enabled",
					"true needs spam.enabled: true (the spam engine is loaded only then); turn it off per domain instead")
			}
			if p.RejectText != nil {
				v.checkReply(append(path, "reject_text"), show+".reject_text", *p.RejectText)
			}
			for _, rule := range sortedKeys(p.RuleActions) {
				a, rp := p.RuleActions[rule], append(path, "rule_actions", rule)
				rs := show + ".rule_actions." + rule
				switch a.Action {
				case "reject":
					if a.Reply != "" {
						v.checkReply(append(rp, "reply"), rs+".reply", a.Reply)
					}
				case "quarantine", "discard", "tag", "none":
				default:
					v.errorAt(append(rp, "action"), rs+".action", "must be reject, quarantine, discard, tag or none, not %q", a.Action)
				}
			}
			m := base(name).Merged(p)
			if m.QuarantineScore > 0 && m.RejectScore > 0 && m.RejectScore < m.QuarantineScore {
				v.errorAt(path, show, "reject_score %g is below quarantine_score %g (with the values inherited)", m.RejectScore, m.QuarantineScore)
			}
		}
	}
	check("domains", c.Domains, func(d string) string {
		if d == "" || strings.ContainsAny(d, "@ \t*") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
			v.errorAt([]string{"spam", "domains", d}, fmt.Sprintf("spam.domains[%s]", d), "not a domain (exact domain names only, no @ or wildcards)")
			return ""
		}
		return strings.ToLower(d)
	}, func(string) Spam { return *c })
	check("recipients", c.Recipients, func(a string) string {
		i := strings.LastIndexByte(a, '@')
		if i <= 0 || i == len(a)-1 || strings.ContainsAny(a, " \t<>") {
			v.errorAt([]string{"spam", "recipients", a}, fmt.Sprintf("spam.recipients[%s]", a), "not an address (want local@domain)")
			return ""
		}
		return strings.ToLower(a)
	}, func(a string) Spam { return c.ForDomain(DomainOf(a)) })
}

// checkReply is spamCheckReply at a key path that may hold dots.
func (v *validator) checkReply(keys []string, show, s string) {
	if strings.ContainsAny(s, "\r\n") {
		v.errorAt(keys, show, "must be one line")
		return
	}
	if len(s) < 4 || s[0] != '5' || s[3] != ' ' {
		v.errorAt(keys, show, "must start with a 5xx code, e.g. \"550 5.7.1 text\"")
	}
}

// errorAt is errorf for a key path given as keys (a domain or address
// key holds dots), shown as show.
func (v *validator) errorAt(keys []string, show, format string, args ...any) {
	pos := v.name
	if line := v.lineOf(keys); line > 0 {
		pos = fmt.Sprintf("%s:%d", v.name, line)
	}
	if pos == "" {
		pos = "config"
	}
	v.errs = append(v.errs, fmt.Sprintf("%s: %s: %s", pos, show, fmt.Sprintf(format, args...)))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
