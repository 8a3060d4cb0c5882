package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newLearnCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "learn",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("learn: not built yet")
		},
	}
}
