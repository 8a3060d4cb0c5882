package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"mailwall/internal/sarules"
)

func newCheckCmd() *cobra.Command {
	var rulesDir, siteDir, prefs string
	var local, exitCode bool
	var dnsServers []string
	cmd := &cobra.Command{
		Use:   "check [--rules DIR] [-L|--local] [--dns-server HOST:PORT] [FILE|-]",
		Short: "score one RFC 5322 message, print it with a report like spamassassin -t",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readMessageArg(args, cmd.InOrStdin())
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			rs, err := loadRules(rulesDir, siteDir, prefs, cmd.ErrOrStderr())
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			m := sarules.NewMessage(raw)
			opts, err := checkNetOptions(cmd, local, dnsServers)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			res := rs.Check(context.Background(), m, opts)
			// as spamassassin -t: the rewritten message (report_safe of
			// the rule files), then the report
			w := cmd.OutOrStdout()
			w.Write(res.Rewrite(raw))
			fmt.Fprint(w, res.FullReport())
			if exitCode && res.IsSpam {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rulesDir, "rules", "/usr/share/spamassassin", "stock rules directory (*.cf)")
	cmd.Flags().StringVar(&siteDir, "site", "", "site rules directory (*.cf and local.cf), read after --rules")
	cmd.Flags().StringVar(&prefs, "prefs", "", "per-user preferences file, read last")
	cmd.Flags().BoolVarP(&local, "local", "L", false, "local tests only: no network tests (spamassassin -L)")
	cmd.Flags().StringSliceVar(&dnsServers, "dns-server", nil, "DNS server HOST:PORT for network tests (repeatable; default: dns.servers of --config, else /etc/resolv.conf)")
	cmd.Flags().BoolVarP(&exitCode, "exit-code", "e", false, "exit 1 when the message is spam")
	return cmd
}

func readMessageArg(args []string, stdin io.Reader) ([]byte, error) {
	if len(args) == 0 || args[0] == "-" {
		return io.ReadAll(io.LimitReader(stdin, 64<<20))
	}
	return os.ReadFile(args[0])
}

// loadRules loads the stock and site rules, printing rule file problems
// to errw (they do not stop checking; mailwall lint reports them).
func loadRules(rulesDir, siteDir, prefs string, errw io.Writer) (*sarules.Ruleset, error) {
	dirs := []string{rulesDir}
	var local []string
	if siteDir != "" {
		dirs = append(dirs, siteDir)
		if _, err := os.Stat(filepath.Join(siteDir, "local.cf")); err == nil {
			local = append(local, filepath.Join(siteDir, "local.cf"))
		}
	}
	rs, diags, err := sarules.Load(dirs, sarules.LoadOptions{LocalCF: local, Prefs: prefs})
	if err != nil {
		return nil, err
	}
	n := 0
	for _, d := range diags {
		if d.Severity == sarules.Error {
			n++
		}
	}
	if n > 0 {
		fmt.Fprintf(errw, "mailwall: %d errors in rule files (see mailwall lint)\n", n)
	}
	return rs, nil
}
