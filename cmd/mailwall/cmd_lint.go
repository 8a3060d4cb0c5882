package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"mailwall/internal/clamav"
	"mailwall/internal/config"
)

// newLintCmd checks what an admin edits: the config file, the spam rule
// files (like spamassassin --lint) and the antivirus databases. Every
// problem is printed as file:line: message; the exit status is 1 when any
// is an error.
func newLintCmd() *cobra.Command {
	var rules, prefs, dbDir string
	var print bool
	cmd := &cobra.Command{
		Use:   "lint [--config FILE] [--rules DIR] [--prefs FILE] [--database DIR] [--print]",
		Short: "validate the config, SpamAssassin rule files and ClamAV databases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg, err := loadConfig(cmd)
			if err != nil {
				// Config errors are already "file:line: message" lines.
				fmt.Fprintln(out, err)
				return &exitError{code: 1}
			}
			if print {
				return printConfig(out, cfg)
			}
			if cfg.Path != "" {
				fmt.Fprintf(out, "%s: ok\n", cfg.Path)
			}
			bad := 0
			// Without --config, a flag naming what to lint lints that
			// alone: `lint --rules DIR` is spamassassin --lint, not also
			// a check of the demo's antivirus directory.
			spam, av := cfg.Spam.Enabled, cfg.Antivirus.Enabled
			if cfg.Demo && (rules != "" || prefs != "" || dbDir != "") {
				spam, av = false, false
			}
			if rules != "" || prefs != "" || spam {
				n, err := lintRuleDirs(cfg, rules, prefs, out)
				if err != nil {
					return err
				}
				bad += n
			}
			if dbDir != "" || av {
				bad += lintDatabases(firstNonEmpty(dbDir, cfg.Antivirus.DatabaseDir), out)
			}
			if bad > 0 {
				fmt.Fprintf(out, "lint: %d error(s)\n", bad)
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&rules, "rules", "", "SpamAssassin rules directory (default: spam.rules_dir)")
	f.StringVar(&prefs, "prefs", "", "per-user preferences file (user_prefs)")
	f.StringVar(&dbDir, "database", "", "ClamAV database directory (default: antivirus.database_dir)")
	f.BoolVar(&print, "print", false, "print the effective configuration (defaults filled in) and exit")
	return cmd
}

// lintRuleDirs lints the stock rules directory (or --rules).
func lintRuleDirs(cfg *config.Config, rules, prefs string, w io.Writer) (int, error) {
	dir := firstNonEmpty(rules, cfg.Spam.RulesDir)
	if _, err := os.Stat(dir); err != nil {
		fmt.Fprintf(w, "%s: %v\n", dir, errors.Unwrap(err))
		return 1, nil
	}
	return lintRules(dir, prefs, w)
}

// lintDatabases lints a ClamAV database directory; notices (skipped
// entries) are printed but are not errors.
func lintDatabases(dir string, w io.Writer) int {
	if _, err := os.Stat(dir); err != nil {
		fmt.Fprintf(w, "%s: %v\n", dir, errors.Unwrap(err))
		return 1
	}
	bad := 0
	for _, is := range clamav.Lint(dir) {
		fmt.Fprintln(w, is)
		if is.Severity == clamav.SeverityError {
			bad++
		}
	}
	if db, err := clamav.Load(dir); err == nil {
		fmt.Fprintf(w, "%s: %d signatures\n", dir, db.Signatures())
	} else {
		fmt.Fprintf(w, "%s: %v\n", dir, err)
		bad++
	}
	return bad
}

// printConfig writes the effective configuration as YAML.
func printConfig(w io.Writer, cfg *config.Config) error {
	b, err := cfg.Marshal()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
