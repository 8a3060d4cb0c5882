package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"mailwall/internal/config"
	"mailwall/internal/queue"
	"mailwall/internal/spool"
)

// newQueueCmd: inspect the durable queue. While `serve` runs it owns the
// queue database, so the command talks to its web API; otherwise it opens
// the database itself.
func newQueueCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "queue", Short: "inspect the durable queue: list, flush, delete"}
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "list queued messages", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			items, err := queueOp(cmd, http.MethodGet, "/api/queue", func(q *queue.Queue) (any, error) { return q.List() })
			if err != nil {
				return err
			}
			var list []queue.Item
			if err := json.Unmarshal(items, &list); err != nil {
				return err
			}
			printQueue(cmd.OutOrStdout(), list)
			return nil
		},
	}, &cobra.Command{
		Use: "flush", Short: "retry every deferred recipient now", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := queueOp(cmd, http.MethodPost, "/api/queue/flush", func(q *queue.Queue) (any, error) {
				q.Flush() // takes effect at the next start of serve
				return nil, nil
			})
			if err == nil {
				fmt.Fprintln(cmd.OutOrStdout(), "flushed")
			}
			return err
		},
	}, &cobra.Command{
		Use: "delete ID...", Short: "delete queued messages", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			for _, id := range ids {
				if !spool.ValidID(id) {
					return fmt.Errorf("%q is not a queue ID", id)
				}
				_, err := queueOp(cmd, http.MethodDelete, "/api/queue/"+id, func(q *queue.Queue) (any, error) {
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

// queueOp runs an operation through the running server's API, or, when no
// server answers, directly on the queue database. It returns JSON.
func queueOp(cmd *cobra.Command, method, path string, direct func(*queue.Queue) (any, error)) ([]byte, error) {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	if body, answered, err := serverCall(cfg, method, path); answered {
		return body, err
	}
	return directQueue(cfg, direct)
}

// serverCall sends an API request to the running server; answered is
// false when no server listens (the caller then works on disk itself).
func serverCall(cfg *config.Config, method, path string) (body []byte, answered bool, err error) {
	if cfg.Web.Listen == "" {
		return nil, false, nil
	}
	body, err = apiCall(method, "http://"+cfg.Web.Listen+path)
	var op *net.OpError
	if errors.As(err, &op) {
		return nil, false, nil
	}
	return body, true, err
}

func apiCall(method, url string) ([]byte, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("server: %s", strings.TrimSpace(string(body)))
	}
	return body, nil
}

func directQueue(cfg *config.Config, f func(*queue.Queue) (any, error)) ([]byte, error) {
	sp, err := spool.Open(filepath.Join(cfg.DataDir, "spool"), 0)
	if err != nil {
		return nil, err
	}
	q, err := queue.Open(filepath.Join(cfg.DataDir, "queue.db"), sp, nil, queue.Config{Hostname: cfg.Hostname}, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("open queue (is serve running with another web.listen?): %w", err)
	}
	defer q.Close()
	v, err := f(q)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func printQueue(w io.Writer, items []queue.Item) {
	if len(items) == 0 {
		fmt.Fprintln(w, "Mail queue is empty")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSIZE\tARRIVED\tSENDER")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%d\t%s\t<%s>\n", it.ID, it.Size, it.Arrived.Format(time.DateTime), it.From)
		for _, r := range it.Rcpts {
			line := fmt.Sprintf("\t\t\t  %s %s (%d attempts)", r.Addr, r.State, r.Attempts)
			if r.Reply != "" {
				line += ": " + r.Reply
			}
			fmt.Fprintln(tw, line)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "-- %d message(s)\n", len(items))
}
