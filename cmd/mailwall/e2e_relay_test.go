package main

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

var queuedRe = regexp.MustCompile(`^250 2\.0\.0 Ok: queued as ([0-9a-z]+)$`)

// TestRelayHundredMessages: 100 messages through `mailwall serve` to an
// SMTP sink arrive byte-identical apart from the added headers; each got
// 250 with a queue ID.
func TestRelayHundredMessages(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, ""))
	const n, conns = 100, 5
	sent := make(map[string]string) // subject -> message
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += conns {
				subj := fmt.Sprintf("message %03d", i)
				body := strings.Repeat(fmt.Sprintf("line %d of message %d, with a leading dot next\n.dot line\n", i, i), 20)
				msg := smtptest.Msg("sender@client.test", "user@example.test", subj, body)
				reply, err := sendMail(g.SMTP, "sender@client.test", []string{"user@example.test"}, msg)
				if err == nil && !queuedRe.MatchString(reply) {
					err = fmt.Errorf("reply %q is not 250 with a queue ID", reply)
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				sent[subj] = msg
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitMessages(t, sink, n, 60*time.Second)
	for _, m := range sink.Messages() {
		subj := regexp.MustCompile(`Subject: (message \d+)`).FindStringSubmatch(string(m.Data))
		if subj == nil {
			t.Fatalf("no subject in %q", m.Data)
		}
		orig, ok := sent[subj[1]]
		if !ok {
			t.Fatalf("unexpected message %q", subj[1])
		}
		prefix, ok := stripPrefix(m.Data, orig)
		if !ok {
			t.Fatalf("%s: body differs from what was sent", subj[1])
		}
		if !strings.HasPrefix(prefix, "Received: from client.test") {
			t.Errorf("%s: added headers %q do not start with our Received", subj[1], prefix)
		}
		if m.From != "sender@client.test" || len(m.Rcpts) != 1 || m.Rcpts[0] != "user@example.test" {
			t.Errorf("envelope = %q %q", m.From, m.Rcpts)
		}
		delete(sent, subj[1])
	}
	if len(sent) != 0 {
		t.Errorf("%d messages never arrived", len(sent))
	}
}

// waitMessages waits (bounded) until the sink has n messages.
func waitMessages(t testing.TB, sink *smtptest.Sink, n int, d time.Duration) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for len(sink.Messages()) < n {
		select {
		case <-sink.Received():
		case <-deadline.C:
			t.Fatalf("sink has %d messages after %v, want %d", len(sink.Messages()), d, n)
		}
	}
}

// TestDemoStartsWithoutConfig: `mailwall serve` with no config runs the
// local demo on 127.0.0.1:2525 and delivers into its Maildir.
func TestDemoStartsWithoutConfig(t *testing.T) {
	if l, err := net.Listen("tcp", "127.0.0.1:2525"); err != nil {
		t.Skipf("demo port 127.0.0.1:2525 is busy: %v", err)
	} else {
		l.Close()
	}
	dir := t.TempDir()
	cmd := startProc(t, dir, "serve")
	reply, err := sendMail(cmd.SMTP, "a@localhost", []string{"user@example.test"}, smtptest.Msg("a@localhost", "user@example.test", "demo", "hello"))
	if err != nil || !queuedRe.MatchString(reply) {
		t.Fatalf("demo DATA reply %q, %v", reply, err)
	}
	if l := cmd.waitLine(30*time.Second, func(l string) bool { return strings.Contains(l, "status=sent") }); l == "" {
		t.Fatalf("no delivery into the demo Maildir; output:\n%s", cmd.Output())
	}
}
