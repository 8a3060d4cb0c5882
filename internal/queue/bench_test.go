package queue

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mailwall/internal/spool"
)

// BenchmarkAccept measures what the SMTP layer waits for before replying
// 250: spool a 10 KB message (fsync file + dir) and Enqueue its record
// (bbolt commit with fsync, shared by group commit), from 20 concurrent
// sessions. Reported as msgs/s.
func BenchmarkAccept(b *testing.B) {
	benchAccept(b, true)
}

// BenchmarkEnqueue measures Enqueue alone (record commit) from 20
// concurrent sessions over an already spooled message.
func BenchmarkEnqueue(b *testing.B) {
	benchAccept(b, false)
}

func benchAccept(b *testing.B, spoolEach bool) {
	dir := b.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"), 0)
	if err != nil {
		b.Fatal(err)
	}
	q, err := Open(filepath.Join(dir, "queue.db"), sp, newFake(nil), Config{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	data := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 160)
	spoolOne := func() string {
		w, err := sp.Create()
		if err != nil {
			b.Fatal(err)
		}
		w.Write(data)
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		return w.ID()
	}
	var pre []string
	if !spoolEach {
		for range b.N {
			pre = append(pre, spoolOne())
		}
	}
	rcpts := []Recipient{{Addr: "b@example.test", NextHop: "smtp://127.0.0.1:2526"}}
	const sessions = 20
	var next sync.Mutex
	i := 0
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range sessions {
		wg.Go(func() {
			for {
				next.Lock()
				if i >= b.N {
					next.Unlock()
					return
				}
				var id string
				if !spoolEach {
					id = pre[i]
				}
				i++
				next.Unlock()
				if spoolEach {
					id = spoolOne()
				}
				if err := q.Enqueue(context.Background(), id, []byte("Received: x\r\n"), "a@example.org", rcpts); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkDrain measures the queue's own cost per delivery: a filled
// queue (untimed) is drained to a Deliverer that accepts at once; each
// message is verified, "delivered", its record deleted (group-committed)
// and its spool file removed.
func BenchmarkDrain(b *testing.B) {
	dir := b.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"), 0)
	if err != nil {
		b.Fatal(err)
	}
	f := newFake(nil)
	f.calls = make(chan call, b.N)
	all := make(chan struct{})
	var mu sync.Mutex
	left := b.N
	q, err := Open(filepath.Join(dir, "queue.db"), sp, f, Config{}, nil, func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if left--; e.Kind == "delivered" && left == 0 {
			close(all)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte("x"), 10<<10)
	rcpts := []Recipient{{Addr: "b@example.test", NextHop: "smtp://127.0.0.1:2526"}}
	for range b.N {
		w, _ := sp.Create()
		w.Write(data)
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		if err := q.Enqueue(context.Background(), w.ID(), nil, "a@example.org", rcpts); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	<-all
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	cancel()
	<-done
	q.Close()
}
