package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"mailwall/internal/sarules"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			hs := ""
			if sarules.HyperscanBuilt {
				hs = ", hyperscan"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "mailwall %s (%s %s/%s%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, hs)
		},
	}
}
