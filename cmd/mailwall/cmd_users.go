package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newUsersCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "users",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("users: not built yet")
		},
	}
}
