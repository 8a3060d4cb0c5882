package spamd

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// renderChecker is fakeChecker with the report and the rewritten message
// left to Verdict.Render, counting the renders.
type renderChecker struct{ renders *atomic.Int32 }

func (c renderChecker) Check(ctx context.Context, msg []byte, user string) (*Verdict, error) {
	v, err := fakeChecker{}.Check(ctx, msg, user)
	if err != nil {
		return nil, err
	}
	report, processed := v.Report, v.Processed
	v.Report, v.Processed = "", nil
	v.Render = func(v *Verdict) {
		c.renders.Add(1)
		v.Report, v.Processed = report, processed
	}
	return v, nil
}

// TestRenderOnlyWhenSent: a lazily rendered Verdict gets the replies of
// an eager one, and is rendered only for the methods that send the report
// or the message; requests, many at once on few connections' worth of
// workers, are all answered.
func TestRenderOnlyWhenSent(t *testing.T) {
	eager := startServer(t, nil)
	var renders atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := NewServer(renderChecker{&renders}, nil, Options{MaxConns: 2, Logger: slog.New(slog.DiscardHandler)})
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	lazy := ln.Addr().String()
	for _, tc := range []struct {
		method string
		render bool
	}{{"CHECK", false}, {"SYMBOLS", false}, {"REPORT", true}, {"REPORT_IFSPAM", true}, {"PROCESS", true}, {"HEADERS", true}} {
		for _, msg := range []string{hamMsg, spamMsg} {
			before := renders.Load()
			req := request(tc.method, "1.5", msg, clen(msg))
			if got, want := exchange(t, lazy, req), exchange(t, eager, req); got != want {
				t.Errorf("%s: lazy reply %q, eager %q", tc.method, got, want)
			}
			if rendered := renders.Load() != before; rendered != tc.render {
				t.Errorf("%s: rendered %v, want %v", tc.method, rendered, tc.render)
			}
		}
	}
	var wg sync.WaitGroup
	want := exchange(t, eager, request("PROCESS", "1.5", spamMsg, clen(spamMsg)))
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				got, err := exchangeErr(lazy, request("PROCESS", "1.5", spamMsg, clen(spamMsg)))
				if err != nil || got != want {
					t.Errorf("concurrent PROCESS: %q, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// exchangeErr is exchange for other goroutines than the test's.
func exchangeErr(addr, req string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		return "", err
	}
	c.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(c)
	return string(out), err
}
