package deliver

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailwall/internal/queue"
	"mailwall/internal/spool"
)

// TestQueueThroughSMTP runs the real pipeline tail: spool -> queue ->
// deliver -> an SMTP sink, including a permanent failure whose DSN is
// delivered over SMTP too.
func TestQueueThroughSMTP(t *testing.T) {
	s := startSink(t, "tcp", false)
	dir := t.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"), 0)
	if err != nil {
		t.Fatal(err)
	}
	hop := "smtp://" + s.addr
	events := make(chan queue.Event, 100)
	cfg := queue.Config{Hostname: "mx.example.test", Route: func(string) string { return hop }}
	q, err := queue.Open(filepath.Join(dir, "q.db"), sp, newTest(t, Options{}), cfg, nil, func(e queue.Event) { events <- e })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	defer func() { cancel(); <-done; q.Close() }()

	const n = 10
	for i := range n {
		w, _ := sp.Create()
		fmt.Fprintf(w, "Subject: %d\r\n\r\nbody %d\r\n", i, i)
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		rc := []queue.Recipient{{Addr: "u@example.test", NextHop: hop}}
		if i == 0 {
			rc = append(rc, queue.Recipient{Addr: "reject@example.test", NextHop: hop})
		}
		if err := q.Enqueue(ctx, w.ID(), []byte("Received: by mx.example.test\r\n"), "s@example.org", rc); err != nil {
			t.Fatal(err)
		}
	}
	kinds := map[string]int{}
	timeout := time.After(10 * time.Second)
	for kinds["delivered"] < n+1 { // n messages and the DSN
		select {
		case e := <-events:
			kinds[e.Kind]++
		case <-timeout:
			t.Fatalf("events so far %v", kinds)
		}
	}
	if kinds["bounced"] != 1 {
		t.Errorf("events %v, want 1 bounced", kinds)
	}
	dsns := 0
	for _, m := range s.got() {
		if m.from == "" {
			dsns++
			if !strings.Contains(m.data, "Final-Recipient: rfc822; reject@example.test") || m.rcpts[0] != "s@example.org" {
				t.Errorf("DSN %+v", m)
			}
			continue
		}
		if !strings.HasPrefix(m.data, "Received: by mx.example.test\r\nSubject: ") {
			t.Errorf("message %q lacks the prefix", m.data)
		}
	}
	if dsns != 1 {
		t.Errorf("%d DSNs, want 1", dsns)
	}
}
