package queue

import (
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mailwall/internal/spool"
)

// call is one Deliver call seen by fakeDeliverer.
type call struct {
	ctx       context.Context
	hop, from string
	rcpts     []string
	body      string
}

// fakeDeliverer records calls and answers with reply(call) (all delivered
// when reply is nil).
type fakeDeliverer struct {
	reply func(c call, n int) []Result // n counts calls, from 1
	calls chan call
	mu    sync.Mutex
	n     int
}

func newFake(reply func(c call, n int) []Result) *fakeDeliverer {
	return &fakeDeliverer{reply: reply, calls: make(chan call, 1000)}
}

func (f *fakeDeliverer) Deliver(ctx context.Context, hop, from string, rcpts []string, msg io.Reader) []Result {
	b, _ := io.ReadAll(msg)
	c := call{ctx: ctx, hop: hop, from: from, rcpts: rcpts, body: string(b)}
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	f.calls <- c
	if f.reply != nil {
		return f.reply(c, n)
	}
	return okAll(rcpts)
}

func okAll(rcpts []string) []Result {
	res := make([]Result, len(rcpts))
	for i, r := range rcpts {
		res[i] = Result{Rcpt: r, Code: 250, Enhanced: "2.0.0", Text: "ok"}
	}
	return res
}

func failAllCode(rcpts []string, code int, enh string, perm bool) []Result {
	res := make([]Result, len(rcpts))
	for i, r := range rcpts {
		res[i] = Result{Rcpt: r, Code: code, Enhanced: enh, Text: "nope", Err: io.ErrUnexpectedEOF, Permanent: perm}
	}
	return res
}

// env is a queue under test with its spool, directory and event stream.
type env struct {
	t      *testing.T
	dir    string
	sp     *spool.Spool
	q      *Queue
	events chan Event
	cancel func() // cancels Run's context without waiting
	stop   func()
}

func newEnv(t *testing.T, dir string, cfg Config, d Deliverer, run bool) *env {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	sp, err := spool.Open(filepath.Join(dir, "spool"), 0)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, sp: sp, events: make(chan Event, 1000)}
	if cfg.Hostname == "" {
		cfg.Hostname = "mx.example.test"
	}
	q, err := Open(filepath.Join(dir, "queue.db"), sp, d, cfg, nil, func(ev Event) { e.events <- ev })
	if err != nil {
		t.Fatal(err)
	}
	e.q = q
	e.stop = func() { q.Close() }
	e.cancel = func() {}
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { q.Run(ctx); close(done) }()
		e.cancel = cancel
		e.stop = func() { cancel(); <-done; q.Close() }
	}
	stopped := false
	stop := e.stop
	e.stop = func() {
		if !stopped {
			stopped = true
			stop()
		}
	}
	t.Cleanup(e.stop)
	return e
}

// spoolMsg stores body in the spool and returns its ID.
func (e *env) spoolMsg(body string) string {
	e.t.Helper()
	w, err := e.sp.Create()
	if err != nil {
		e.t.Fatal(err)
	}
	io.WriteString(w, body)
	if err := w.Commit(); err != nil {
		e.t.Fatal(err)
	}
	return w.ID()
}

// send spools body and enqueues it.
func (e *env) send(from string, body string, rcpts ...string) string {
	e.t.Helper()
	id := e.spoolMsg(body)
	var rs []Recipient
	for _, r := range rcpts {
		rs = append(rs, Recipient{Addr: r, NextHop: "smtp://127.0.0.1:2526"})
	}
	if err := e.q.Enqueue(context.Background(), id, []byte("X-Test: 1\r\n"), from, rs); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// waitEvent returns the next event of one of the kinds, failing the test
// after 10 s.
func (e *env) waitEvent(kinds ...string) Event {
	e.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-e.events:
			for _, k := range kinds {
				if ev.Kind == k {
					return ev
				}
			}
		case <-timeout:
			e.t.Fatalf("no %v event within 10s", kinds)
		}
	}
}

func waitCall(t *testing.T, f *fakeDeliverer) call {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery within 10s")
	}
	return call{}
}
