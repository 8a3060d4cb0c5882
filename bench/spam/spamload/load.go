package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mailwall/internal/spamd"
)

// checkFunc scores one message and reports whether the engine flagged it.
type checkFunc func(ctx context.Context, msg []byte) (spam bool, err error)

// runLoad sends every message of -list once (after -warm untimed ones)
// with -c requests in flight and prints the line described in the
// package doc.
func runLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	proto := fs.String("proto", "spamd", "spamd (SPAMC/1.5 CHECK) or rspamd (HTTP POST /checkv2)")
	addr := fs.String("addr", "", "host:port of the engine")
	listFile := fs.String("list", "", "file naming one message per line")
	clients := fs.Int("c", 4, "requests in flight")
	warm := fs.Int("warm", 0, "untimed requests first (from the start of the list)")
	timeout := fs.Duration("timeout", 120*time.Second, "per request")
	passes := fs.Int("passes", 1, "send the list this many times in the timed pass")
	fs.Parse(args)
	if *addr == "" || *listFile == "" || *clients < 1 {
		return fmt.Errorf("load: -addr, -list and -c >= 1 are required")
	}
	check, err := checker(*proto, *addr, *clients)
	if err != nil {
		return err
	}
	names, msgs, err := readList(*listFile)
	if err != nil {
		return err
	}
	if *warm > 0 {
		pass(check, msgs[:min(*warm, len(msgs))], *clients, *timeout)
	}
	all := msgs
	for range *passes - 1 {
		all = append(all, msgs...)
	}
	start := time.Now()
	res := pass(check, all, *clients, *timeout)
	secs := time.Since(start).Seconds()
	report(names, res, secs)
	return nil
}

func checker(proto, addr string, clients int) (checkFunc, error) {
	switch proto {
	case "spamd":
		c := &spamd.Client{Addr: addr}
		return func(ctx context.Context, msg []byte) (bool, error) {
			r, err := c.Check(ctx, msg)
			if err != nil {
				return false, err
			}
			if r.Code != 0 {
				return false, fmt.Errorf("spamd answered %d %s", r.Code, r.Message)
			}
			return r.IsSpam, nil
		}, nil
	case "rspamd":
		// One connection per request, as spamc does with spamd.
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: clients}}
		url := "http://" + addr + "/checkv2"
		return func(ctx context.Context, msg []byte) (bool, error) {
			return rspamdCheck(ctx, hc, url, msg)
		}, nil
	}
	return nil, fmt.Errorf("load: unknown -proto %q", proto)
}

// rspamdCheck posts msg to /checkv2; the reply is JSON with "action"
// ("no action", "greylist", "add header", "rewrite subject",
// "soft reject", "reject").
func rspamdCheck(ctx context.Context, hc *http.Client, url string, msg []byte) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(msg))
	if err != nil {
		return false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("rspamd answered %s", resp.Status)
	}
	var v struct {
		Action string `json:"action"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Action == "" {
		return false, fmt.Errorf("rspamd reply: no action in %.100q", body)
	}
	switch v.Action {
	case "add header", "rewrite subject", "reject":
		return true, nil
	}
	return false, nil
}

func readList(path string) (names []string, msgs [][]byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.TrimSpace(sc.Text())
		if p == "" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("load: %w", err)
		}
		names = append(names, filepath.Base(p))
		msgs = append(msgs, data)
	}
	if len(msgs) == 0 {
		return nil, nil, fmt.Errorf("load: %s names no messages", path)
	}
	return names, msgs, sc.Err()
}

type result struct {
	spam bool
	err  error
	dur  time.Duration
}

// pass checks every message once with n workers pulling the next index.
func pass(check checkFunc, msgs [][]byte, n int, timeout time.Duration) []result {
	res := make([]result, len(msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(msgs) {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				t0 := time.Now()
				spam, err := check(ctx, msgs[i])
				res[i] = result{spam: spam, err: err, dur: time.Since(t0)}
				cancel()
			}
		})
	}
	wg.Wait()
	return res
}

func report(names []string, res []result, secs float64) {
	var ok, errs, spamHit, spamN, hamHit, hamN int
	var durs []time.Duration
	var firstErr error
	for i, r := range res {
		if r.err != nil {
			errs++
			if firstErr == nil {
				firstErr = r.err
			}
			continue
		}
		ok++
		durs = append(durs, r.dur)
		if i >= len(names) {
			continue // a later pass: flagged counts are of the first
		}
		if strings.HasPrefix(names[i], "spam") {
			spamN++
			if r.spam {
				spamHit++
			}
		} else {
			hamN++
			if r.spam {
				hamHit++
			}
		}
	}
	if firstErr != nil {
		fmt.Fprintf(os.Stderr, "spamload: %d errors, first: %v\n", errs, firstErr)
	}
	slices.Sort(durs)
	fmt.Printf("msgs=%d ok=%d errors=%d secs=%.3f rate=%.1f p50_ms=%.1f p95_ms=%.1f spam=%d/%d ham=%d/%d\n",
		len(res), ok, errs, secs, float64(ok)/secs, quantileMS(durs, 0.50), quantileMS(durs, 0.95),
		spamHit, spamN, hamHit, hamN)
}

// quantileMS is the q-quantile of sorted durations, in milliseconds.
func quantileMS(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
}
