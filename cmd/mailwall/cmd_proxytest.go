package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"mailwall/internal/relaytest"
)

func newProxytestCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "proxytest HOST:PORT...",
		Short: "Check hosts for open proxies that reach port 25; exit 1 if any is open",
		Long: `proxytest asks each host to reach an SMTP server that proxytest itself runs
on 127.0.0.1, by HTTP CONNECT, HTTP POST, SOCKS4 and SOCKS5. No outside host
is ever contacted. A method is open when a random token gets through.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := relaytest.StartTarget()
			if err != nil {
				return err
			}
			defer target.Close()
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			w := cmd.OutOrStdout()
			open := 0
			for _, a := range args {
				rep := relaytest.Proxy(ctx, a, target, timeout)
				relaytest.WriteProxyReport(w, rep)
				if rep.Open() {
					open++
				}
			}
			fmt.Fprintf(w, "Finished scanning. %d out of %d hosts are open proxies.\n", open, len(args))
			if open > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "timeout per method")
	return cmd
}
