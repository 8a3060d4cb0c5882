package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"mailwall/internal/config"
)

// eicarNDB is a ClamAV body signature for the EICAR anti-virus test file
// (the 68-byte string every scanner detects), so the demo shows a virus
// being refused without ClamAV's official databases.
const eicarNDB = "Eicar-Test-Signature:0:0:" +
	"58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a\n"

// demoAntivirus points the demo at a database directory under its data
// dir, holding the EICAR signature unless the admin put databases there.
func demoAntivirus(cfg *config.Config, log *slog.Logger) {
	dir := filepath.Join(cfg.DataDir, "clamav")
	cfg.Antivirus.DatabaseDir = dir
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		log.Warn("demo: antivirus off", "err", err)
		cfg.Antivirus.Enabled = false
		return
	}
	if err := os.WriteFile(filepath.Join(dir, "demo-eicar.ndb"), []byte(eicarNDB), 0o640); err != nil {
		log.Warn("demo: antivirus off", "err", err)
		cfg.Antivirus.Enabled = false
		return
	}
	log.Info("demo: antivirus database with the EICAR test signature", "dir", dir)
}
