package queue

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mailwall/internal/spool"
)

// crashEnv names the environment variable that turns the test binary into
// the crashing child of TestKillNineKeepsAcknowledged.
const crashEnv = "MAILWALL_QUEUE_CRASH_DIR"

// TestKillNineKeepsAcknowledged runs 20 concurrent "sessions" in a child
// process that spool and enqueue messages and print "ACK <id>" once
// Enqueue returned (the point where the SMTP layer says 250), while the
// child's queue delivers them to a recording sink (its stdout: "DLV <id>").
// The child is killed with SIGKILL three times; then a last run drains the
// queue. Every acknowledged message must have reached the sink; duplicates
// (delivered, killed before the record was updated) are counted.
func TestKillNineKeepsAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	acked := map[string]bool{}
	var mu sync.Mutex
	delivered := map[string]int{}
	record := func(line string) {
		if id, ok := strings.CutPrefix(line, "ACK "); ok {
			acked[id] = true
		}
		if id, ok := strings.CutPrefix(line, "DLV "); ok {
			mu.Lock()
			delivered[id]++
			mu.Unlock()
		}
	}
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		for n < 150 && sc.Scan() {
			record(sc.Text())
			if strings.HasPrefix(sc.Text(), "ACK ") {
				n++
			}
		}
		cmd.Process.Kill() // SIGKILL
		for sc.Scan() {    // lines written before the kill landed
			record(sc.Text())
		}
		cmd.Wait()
		if n < 150 {
			t.Fatalf("round %d: child acknowledged only %d messages", round, n)
		}
	}

	start := time.Now()
	f := newFake(func(c call, n int) []Result {
		id := strings.TrimPrefix(strings.SplitN(c.body, "\r\n", 3)[1], "Subject: ")
		mu.Lock()
		delivered[id]++
		mu.Unlock()
		return okAll(c.rcpts)
	})
	e := newEnv(t, dir, Config{}, f, true)
	items, _ := e.q.List()
	recovery := time.Since(start)
	for range items {
		e.waitEvent("delivered", "corrupt")
	}
	e.stop()
	lost, dup := 0, 0
	for id := range acked {
		if delivered[id] == 0 {
			lost++
		}
	}
	for _, n := range delivered {
		dup += max(n-1, 0)
	}
	t.Logf("acknowledged %d, left in queue after 3 kills %d, lost %d, duplicates %d, recovery (open+load) %v",
		len(acked), len(items), lost, dup, recovery)
	if lost > 0 {
		t.Errorf("%d acknowledged messages lost", lost)
	}
}

// TestCrashChild is the child process of TestKillNineKeepsAcknowledged; it
// runs until killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("helper process for TestKillNineKeepsAcknowledged")
	}
	sp, err := spool.Open(filepath.Join(dir, "spool"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	sink := newFake(func(c call, n int) []Result {
		id := strings.TrimPrefix(strings.SplitN(c.body, "\r\n", 3)[1], "Subject: ")
		mu.Lock()
		fmt.Fprintf(os.Stdout, "DLV %s\n", id)
		mu.Unlock()
		return okAll(c.rcpts)
	})
	sink.calls = make(chan call, 1<<20) // never read here
	q, err := Open(filepath.Join(dir, "queue.db"), sp, sink, Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	go q.Run(context.Background())
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for {
				w, err := sp.Create()
				if err != nil {
					t.Error(err)
					return
				}
				fmt.Fprintf(w, "From: a@example.org\r\nSubject: %s\r\n\r\n%s\r\n", w.ID(), strings.Repeat("x", 2000))
				if err := w.Commit(); err != nil {
					t.Error(err)
					return
				}
				rc := []Recipient{{Addr: "b@example.test", NextHop: "smtp://127.0.0.1:1"}}
				if err := q.Enqueue(context.Background(), w.ID(), nil, "a@example.org", rc); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ACK %s\n", w.ID())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
