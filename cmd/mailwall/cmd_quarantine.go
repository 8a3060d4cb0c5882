package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"mailwall/internal/quarantine"
	"mailwall/internal/queue"
	"mailwall/internal/spool"
)

// newQuarantineCmd: list, release and delete quarantined messages, through
// the running server's API (release needs its queue) or, for list and
// delete, directly on disk when no server runs.
func newQuarantineCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "quarantine", Short: "quarantined messages: list, release, delete"}
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "list quarantined messages", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body, err := quarantineOp(cmd, http.MethodGet, "/api/quarantine", func(q *quarantine.Store, _ *queue.Queue) (any, error) {
				return q.List()
			})
			if err != nil {
				return err
			}
			var list []quarantine.Entry
			if err := json.Unmarshal(body, &list); err != nil {
				return err
			}
			printQuarantine(cmd.OutOrStdout(), list)
			return nil
		},
	}, &cobra.Command{
		Use: "release ID...", Short: "deliver quarantined messages to their recipients", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			for _, id := range ids {
				_, err := quarantineOp(cmd, http.MethodPost, "/api/quarantine/"+id+"/release", func(q *quarantine.Store, qu *queue.Queue) (any, error) {
					_, err := q.Release(context.Background(), id, qu)
					return nil, err
				})
				if err != nil {
					return fmt.Errorf("release %s: %w", id, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: released\n", id)
			}
			return nil
		},
	}, &cobra.Command{
		Use: "delete ID...", Short: "delete quarantined messages", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			for _, id := range ids {
				_, err := quarantineOp(cmd, http.MethodDelete, "/api/quarantine/"+id, func(q *quarantine.Store, _ *queue.Queue) (any, error) {
					return nil, q.Delete(id)
				})
				if err != nil {
					return fmt.Errorf("delete %s: %w", id, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: deleted\n", id)
			}
			return nil
		},
	})
	return cmd
}

func quarantineOp(cmd *cobra.Command, method, path string, direct func(*quarantine.Store, *queue.Queue) (any, error)) ([]byte, error) {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	if body, answered, err := serverCall(cfg, method, path); answered {
		return body, err
	}
	sp, err := spool.Open(filepath.Join(cfg.DataDir, "spool"), 0)
	if err != nil {
		return nil, err
	}
	q, err := quarantine.Open(filepath.Join(cfg.DataDir, "quarantine"), sp)
	if err != nil {
		return nil, err
	}
	qu, err := queue.Open(filepath.Join(cfg.DataDir, "queue.db"), sp, nil, queue.Config{Hostname: cfg.Hostname}, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("open queue: %w", err)
	}
	defer qu.Close()
	v, err := direct(q, qu)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func printQuarantine(w io.Writer, list []quarantine.Entry) {
	if len(list) == 0 {
		fmt.Fprintln(w, "Quarantine is empty")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tREASON\tSCORE\tFROM\tSUBJECT")
	for _, e := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%.1f\t<%s>\t%s\n", e.ID, e.Time.Format(time.DateTime), e.Reason, e.Detail, e.Score, e.From, e.Subject)
	}
	tw.Flush()
}
