package deliver

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mailwall/internal/queue"
	"mailwall/internal/spool"
)

// BenchmarkRelay measures the queue's half of relaying: 20 concurrent
// sessions spool 10 KB messages and enqueue them (fsyncs kept), while the
// queue delivers them over SMTP to an in-process sink and deletes them.
// msgs/s counts messages accepted and delivered.
func BenchmarkRelay(b *testing.B) { benchRelay(b, true) }

// BenchmarkDrain measures delivery alone: the queue is filled first
// (untimed), then drained over SMTP to the sink.
func BenchmarkDrain(b *testing.B) { benchRelay(b, false) }

func benchRelay(b *testing.B, concurrent bool) {
	s := startSink(b, "tcp", false).addr
	dir := b.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"), 0)
	if err != nil {
		b.Fatal(err)
	}
	var delivered atomic.Int64
	all := make(chan struct{})
	n := int64(b.N)
	events := func(e queue.Event) {
		if e.Kind == "delivered" && delivered.Add(1) == n {
			close(all)
		}
	}
	hop := "smtp://" + s
	q, err := queue.Open(filepath.Join(dir, "q.db"), sp, newTest(b, Options{HeloName: "bench.test", Timeout: 30 * time.Second}), queue.Config{}, nil, events)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	run := func() { go func() { q.Run(ctx); close(done) }() }
	defer func() { cancel(); <-done; q.Close() }()
	if concurrent {
		run()
	}

	data := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 160)
	rcpt := []queue.Recipient{{Addr: "u@example.test", NextHop: hop}}
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for next.Add(1) <= n {
				w, err := sp.Create()
				if err != nil {
					b.Error(err)
					return
				}
				w.Write(data)
				if err := w.Commit(); err != nil {
					b.Error(err)
					return
				}
				if err := q.Enqueue(ctx, w.ID(), nil, "s@example.org", rcpt); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if !concurrent {
		b.ResetTimer()
		start = time.Now()
		run()
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d delivered", delivered.Load(), n)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
}
