package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newRelaytestCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "relaytest",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("relaytest: not built yet")
		},
	}
}
