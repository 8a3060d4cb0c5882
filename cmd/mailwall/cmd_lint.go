package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newLintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint",
		Short: "not built yet",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("lint: not built yet")
		},
	}
}
