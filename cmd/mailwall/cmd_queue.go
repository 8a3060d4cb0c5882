package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newQueueCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "queue",
		Short: "not built yet",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("queue: not built yet")
		},
	}
}
