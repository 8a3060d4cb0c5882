package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mailwall/internal/relaytest"
)

func newRelaytestCmd() *cobra.Command {
	var (
		hostsFile, helo, from, to, logFile string
		timeout                            time.Duration
	)
	cmd := &cobra.Command{
		Use:   "relaytest HOST[:PORT]... | --hosts FILE",
		Short: "Audit SMTP hosts for open relaying (never sends DATA); exit 1 if any relays",
		Long: `relaytest runs the probes public relay testers run against each host: a
foreign recipient with several senders (null, the host's own domain,
<postmaster>, the host's IP literal) and the recipient tricks (percent hack,
source routes, quoted local parts, bang paths, double @, IP literals,
trailing dot, upper case). Each probe is MAIL, RCPT, RSET; DATA is never
sent. A probe relays when RCPT gets a 2xx reply.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			hosts := args
			if hostsFile != "" {
				more, err := readHosts(hostsFile)
				if err != nil {
					return err
				}
				hosts = append(hosts, more...)
			}
			if len(hosts) == 0 {
				return &exitError{code: 2, err: fmt.Errorf("relaytest: no hosts (give HOST[:PORT] or --hosts FILE)")}
			}
			opt := relaytest.Options{Helo: helo, From: from, To: to, Timeout: timeout}
			if logFile != "" {
				f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
				if err != nil {
					return fmt.Errorf("relaytest: %w", err)
				}
				defer f.Close()
				opt.Transcript = f
			}
			return runRelaytest(cmd.Context(), cmd.OutOrStdout(), hosts, opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&hostsFile, "hosts", "", "file with one HOST[:PORT] per line ('#' comments)")
	f.StringVar(&helo, "helo", "relaytest.invalid", "EHLO name")
	f.StringVar(&from, "from", "", "sender address (default relaytest@<helo>)")
	f.StringVar(&to, "to", "relaytest@relaytest.invalid", "foreign recipient that must not be accepted")
	f.StringVar(&logFile, "log", "", "append SMTP transcripts to this file")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "timeout per connect and per reply")
	return cmd
}

// relaytestParallel hosts are probed at once.
const relaytestParallel = 8

func runRelaytest(ctx context.Context, w io.Writer, hosts []string, opt relaytest.Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// Hosts are tested in parallel (a few at a time, to stay polite) and
	// reported in the order given.
	reports := make([]*relaytest.Report, len(hosts))
	done := make([]chan struct{}, len(hosts))
	sem := make(chan struct{}, relaytestParallel)
	for i, h := range hosts {
		done[i] = make(chan struct{})
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; close(done[i]) }()
			reports[i] = relaytest.Relay(ctx, withPort(h, "25"), opt)
		}()
	}
	for i := range hosts {
		<-done[i]
		relaytest.WriteReport(w, reports[i])
	}
	relaytest.WriteSummary(w, reports)
	for _, r := range reports {
		if r.Relays() {
			return &exitError{code: 1}
		}
	}
	return nil
}

// withPort adds the default port to a host without one (IPv6 in [] or bare).
func withPort(h, port string) string {
	if _, _, err := net.SplitHostPort(h); err == nil {
		return h
	}
	return net.JoinHostPort(strings.Trim(h, "[]"), port)
}

func readHosts(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hosts file: %w", err)
	}
	defer f.Close()
	var hosts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && l[0] != '#' {
			hosts = append(hosts, strings.Fields(l)[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("hosts file %s: %w", path, err)
	}
	return hosts, nil
}
