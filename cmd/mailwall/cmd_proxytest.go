package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newProxytestCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "proxytest",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("proxytest: not built yet")
		},
	}
}
