package main

import (
	"fmt"
	"strings"

	"mailwall/internal/config"
	"mailwall/internal/verdict"
)

// verdictConfig builds the decision table from the antivirus and spam
// sections.
func verdictConfig(cfg *config.Config) (*verdict.Config, error) {
	vc := &verdict.Config{Fail: map[string]verdict.Rule{}, Rules: map[string]verdict.Rule{}}
	av := cfg.Antivirus
	for _, x := range []struct {
		name string
		in   string
		out  *verdict.Action
	}{
		{"antivirus.action", av.Action, &vc.Virus.Action},
		{"antivirus.limits_action", av.LimitsAction, &vc.Limits.Action},
		{"antivirus.encrypted_action", av.EncryptedAction, &vc.Encrypted.Action},
	} {
		if x.in == "" {
			continue
		}
		a, err := verdict.ParseAction(x.in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", x.name, err)
		}
		*x.out = a
	}
	switch av.FailAction {
	case "", "tempfail":
	case "accept":
		vc.Fail["CLAM_VIRUS"] = verdict.Rule{Action: verdict.Accept}
	default:
		return nil, fmt.Errorf("antivirus.fail_action: %q (want tempfail or accept)", av.FailAction)
	}
	if err := spamVerdict(cfg, vc); err != nil {
		return nil, err
	}
	if err := spamPrefs(cfg, vc); err != nil {
		return nil, err
	}
	return vc, nil
}

// spamPrefs adds the per-domain and per-recipient decision tables
// (spam.domains, spam.recipients): each is vc with the spam keys of its
// level merged in (recipient → domain → spam section).
func spamPrefs(cfg *config.Config, vc *verdict.Config) error {
	sc := cfg.Spam
	vc.SpamOff = !sc.Enabled
	level := func(name string, s config.Spam) (*verdict.Config, error) {
		c := *vc // the antivirus rules are shared, read-only
		c.Rules, c.SpamReject, c.Domains, c.Recipients = map[string]verdict.Rule{}, verdict.Rule{}, nil, nil
		sub := *cfg
		sub.Spam = s
		if err := spamVerdict(&sub, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		c.SpamOff = !s.Enabled
		return &c, nil
	}
	if len(sc.Domains) > 0 {
		vc.Domains = make(map[string]*verdict.Config, len(sc.Domains))
	}
	for d, p := range sc.Domains {
		c, err := level("spam.domains["+d+"]", sc.Merged(p))
		if err != nil {
			return err
		}
		vc.Domains[strings.ToLower(d)] = c
	}
	if len(sc.Recipients) > 0 {
		vc.Recipients = make(map[string]*verdict.Config, len(sc.Recipients))
	}
	for a, p := range sc.Recipients {
		c, err := level("spam.recipients["+a+"]", sc.ForDomain(config.DomainOf(a)).Merged(p))
		if err != nil {
			return err
		}
		vc.Recipients[strings.ToLower(a)] = c
	}
	return nil
}
