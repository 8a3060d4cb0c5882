package main

import (
	"fmt"

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
	return vc, nil
}
