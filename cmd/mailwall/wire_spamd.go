package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"mailwall/internal/sarules"
	"mailwall/internal/scan/spam"
	"mailwall/internal/spamd"
)

// spamdChecker answers spamd requests with the spam engine currently in
// use (it follows reloads).
type spamdChecker struct {
	cur *atomic.Pointer[spam.Engine]
}

var _ spamd.Checker = spamdChecker{}

var errNoSpamEngine = errors.New("spam engine not configured")

func (c spamdChecker) Check(ctx context.Context, msg []byte, user string) (*spamd.Verdict, error) {
	e := c.cur.Load()
	if e == nil {
		return nil, errNoSpamEngine
	}
	m := sarules.NewMessage(msg)
	res := e.Check(ctx, m, e.Options())
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// as spamd: PROCESS returns rewrite_mail (report_safe of the rule
	// files), REPORT the report template
	// (rendered only for the methods that send them)
	return &spamd.Verdict{
		IsSpam: res.IsSpam, Score: res.Score, Threshold: res.Required, Symbols: res.Tests(),
		Render: func(v *spamd.Verdict) { v.Report, v.Processed = res.FullReport(), res.Rewrite(msg) },
	}, nil
}

// startSpamd serves the spamd protocol on every spam.spamd_listen address
// until ctx ends.
func startSpamd(ctx context.Context, addrs []string, cur *atomic.Pointer[spam.Engine], l spamd.Learner, log *slog.Logger) error {
	if len(addrs) == 0 {
		return nil
	}
	srv := spamd.NewServer(spamdChecker{cur: cur}, l, spamd.Options{Logger: log})
	for _, a := range addrs {
		l, err := listen(a)
		if err != nil {
			return fmt.Errorf("spamd listen: %w", err)
		}
		log.Info("spamd listener", "addr", l.Addr().String())
		go func() {
			if err := srv.Serve(ctx, l); err != nil {
				log.Error("spamd listener stopped", "addr", a, "err", err)
			}
		}()
	}
	return nil
}
