package main

import (
	"bufio"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// TestCrashRecovery: with the next hop down, 200 messages are accepted over
// 20 parallel connections; the process is killed with SIGKILL (with a
// transfer cut mid-DATA), restarted, the next hop comes up: every
// acknowledged message is delivered, and the cut one is not.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	hop := freeAddr(t) // nothing listens here yet: the next hop is down
	g := startGateway(t, dir, baseConfig(dir, hop, ""))
	const n, conns = 200, 20
	acked := make(map[string]bool)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", g.SMTP, 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(120 * time.Second))
			r := bufio.NewReader(c)
			for i := w; i < n; i += conns {
				subj := fmt.Sprintf("crash %03d", i)
				msg := smtptest.Msg("sender@client.test", "user@example.test", subj, "body of "+subj)
				reply, err := transaction(c, r, "sender@client.test", []string{"user@example.test"}, msg, i == w)
				if err != nil || !queuedRe.MatchString(reply) {
					errs <- fmt.Errorf("%s: %q %v", subj, reply, err)
					return
				}
				mu.Lock()
				acked[subj] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// A transfer cut mid-DATA: never acknowledged, must never be delivered.
	cut := openData(t, g.SMTP, "sender@client.test")
	cut.Send("Subject: crash CUT\r\n\r\nhalf a message\r\n")
	g.kill() // SIGKILL with the cut transfer open

	l, err := net.Listen("tcp", hop)
	if err != nil {
		t.Fatalf("next hop address %s taken meanwhile: %v", hop, err)
	}
	sink := smtptest.NewSinkOn(l)
	t.Cleanup(sink.Close)
	startGateway(t, dir, baseConfig(dir, hop, ""))
	waitMessages(t, sink, n, 90*time.Second)
	got := map[string]int{}
	for _, m := range sink.Messages() {
		s := regexp.MustCompile(`Subject: (crash [0-9A-Z]+)`).FindStringSubmatch(string(m.Data))
		if s == nil {
			t.Fatalf("unexpected message %q", m.Data)
		}
		got[s[1]]++
	}
	for subj := range acked {
		if got[subj] == 0 {
			t.Errorf("acknowledged %q was lost", subj)
		}
	}
	if got["crash CUT"] != 0 {
		t.Error("the message cut mid-DATA was delivered")
	}
	dups := 0
	for _, c := range got {
		dups += c - 1
	}
	t.Logf("acknowledged %d, delivered %d distinct, %d duplicates", len(acked), len(got), dups)
	if strings.Contains(fmt.Sprint(got), "CUT") {
		t.Error("cut message present")
	}
}
