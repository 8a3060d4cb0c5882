// Command mailwall is a mail security gateway: SMTP gateway, milter, clamd
// and spamd drop-in daemons, and the command-line tools around them.
//
// Every subcommand is built by one constructor in its own file and wired
// here by hand.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "mailwall",
		Short:         "Mail security gateway: antivirus, antispam, relay control",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "configuration file (YAML); none = local demo")
	root.AddCommand(
		newServeCmd(),
		newQueueCmd(),
		newQuarantineCmd(),
		newVersionCmd(),
		newScanCmd(),
		newCheckCmd(),
		newLintCmd(),
		newLearnCmd(),
		newRelaytestCmd(),
		newProxytestCmd(),
		newUsersCmd(),
	)
	if err := root.Execute(); err != nil {
		// An exit status alone (scan found a virus) prints nothing, as
		// clamscan; anything else is an error message.
		if e, ok := err.(*exitError); !ok || e.err != nil {
			fmt.Fprintln(os.Stderr, "mailwall:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit status (e.g. scan's 1 for "found").
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 2
}
