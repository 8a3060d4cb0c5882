package main

import (
	"mailwall/internal/config"
	"mailwall/internal/verdict"
)

// spamVerdict fills the spam thresholds and forced rule actions.
func spamVerdict(cfg *config.Config, vc *verdict.Config) error {
	return nil
}
