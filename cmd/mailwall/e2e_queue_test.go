package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"mailwall/internal/queue"
	"mailwall/internal/smtptest"
)

// TestGiveUpSendsOneDSN: mail that cannot be delivered before give_up
// produces exactly one DSN to its sender; a null-sender message produces
// none.
func TestGiveUpSendsOneDSN(t *testing.T) {
	dir := t.TempDir()
	dead := smtptest.NewSink(t) // always answers 451 for the dead domain
	dead.Reject = func(string) error {
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 4, 1}, Message: "try later"}
	}
	sink := smtptest.NewSink(t) // where DSNs to the sender go
	cfg := fmt.Sprintf(`hostname: mx.example.test
data_dir: %s/data
trusted_networks: [127.0.0.0/8]
smtp:
  listen: ["127.0.0.1:0"]
  min_free_bytes: 1
routes:
  - domains: [dead.test]
    next_hop: "smtp://%s"
  - domains: ["*"]
    next_hop: "smtp://%s"
queue:
  retry: [100ms]
  give_up: 1s
web:
  listen: "127.0.0.1:0"
antivirus:
  enabled: false
spam:
  enabled: false
`, dir, dead.Addr, sink.Addr)
	g := startGateway(t, dir, cfg)
	for _, from := range []string{"", "sender@client.test"} {
		msg := smtptest.Msg("x@client.test", "user@dead.test", "undeliverable from <"+from+">", "body")
		if reply, err := sendMail(g.SMTP, from, []string{"user@dead.test"}, msg); err != nil || !queuedRe.MatchString(reply) {
			t.Fatalf("from <%s>: %q %v", from, reply, err)
		}
	}
	bounced := 0
	if g.waitLine(60*time.Second, func(l string) bool {
		if strings.Contains(l, "status=bounced") {
			bounced++
		}
		return bounced == 2
	}) == "" {
		t.Fatalf("saw %d of 2 bounces; output:\n%s", bounced, g.Output())
	}
	waitMessages(t, sink, 1, 60*time.Second)
	waitQueueEmpty(t, g)
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("sink got %d messages, want exactly one DSN", len(msgs))
	}
	dsn := msgs[0]
	if dsn.From != "" || len(dsn.Rcpts) != 1 || dsn.Rcpts[0] != "sender@client.test" {
		t.Errorf("DSN envelope %q -> %q", dsn.From, dsn.Rcpts)
	}
	for _, want := range []string{"multipart/report", "report-type=delivery-status", "message/delivery-status",
		"Final-Recipient: rfc822; user@dead.test", "Action: failed", "Status: 4.4.1"} {
		if !strings.Contains(string(dsn.Data), want) {
			t.Errorf("DSN lacks %q:\n%s", want, dsn.Data)
		}
	}
}

// waitQueueEmpty polls the queue API (bounded) until nothing is queued.
func waitQueueEmpty(t testing.TB, g *gatewayProc) {
	t.Helper()
	for i := 0; i < 300; i++ {
		resp, err := http.Get("http://" + g.Web + "/api/queue")
		if err != nil {
			t.Fatal(err)
		}
		var items []queue.Item
		err = json.NewDecoder(resp.Body).Decode(&items)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			return
		}
		g.waitLine(200*time.Millisecond, func(string) bool { return false })
	}
	t.Fatal("queue not empty after 60s")
}

// TestLargeMessageStreamed: a 40 MB message is accepted and relayed with
// the process's memory growing well below the message size (streamed to
// the spool and to the next hop, never held whole in memory).
func TestLargeMessageStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("large message test skipped in -short mode")
	}
	dir := t.TempDir()
	sink := newCountingSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, ""))
	before := g.peakRSS()
	const size = 40 << 20
	line := strings.Repeat("0123456789abcdef", 4) + "\r\n" // 66 bytes
	var b strings.Builder
	b.WriteString("Subject: big\r\nFrom: <a@client.test>\r\n\r\n")
	for b.Len() < size {
		b.WriteString(line)
	}
	msg := b.String()
	reply, err := sendMail(g.SMTP, "a@client.test", []string{"user@example.test"}, msg)
	if err != nil || !queuedRe.MatchString(reply) {
		t.Fatalf("%q %v", reply, err)
	}
	select {
	case n := <-sink.got:
		if n < int64(len(msg)) {
			t.Fatalf("sink got %d bytes, want at least %d", n, len(msg))
		}
	case <-time.After(120 * time.Second):
		t.Fatal("40 MB message not relayed within 120s")
	}
	peak := g.peakRSS()
	t.Logf("message %d MB; gateway peak RSS %d MB before, %d MB after (growth %d MB)",
		len(msg)>>20, before>>20, peak>>20, (peak-before)>>20)
	if growth := peak - before; growth > int64(len(msg))/2 {
		t.Errorf("peak RSS grew by %d MB for a %d MB message: not streamed", growth>>20, len(msg)>>20)
	}
}

// countingSink is an SMTP server that counts message bytes without keeping
// them (so the test's own memory stays small).
type countingSink struct {
	Addr string
	got  chan int64
}

func newCountingSink(t testing.TB) *countingSink {
	s := &countingSink{got: make(chan int64, 16)}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) { return &countSession{s}, nil }))
	srv.Domain = "count.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l := listenLocal(t)
	s.Addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

type countSession struct{ s *countingSink }

func (c *countSession) Reset()                                 {}
func (c *countSession) Logout() error                          { return nil }
func (c *countSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (c *countSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (c *countSession) Data(r io.Reader) error {
	n, err := io.Copy(io.Discard, r)
	c.s.got <- n
	return err
}

// TestSIGTERMDrains: SIGTERM while clients are sending loses nothing that
// was acknowledged; the queue picks it up after restart.
func TestSIGTERMDrains(t *testing.T) {
	dir := t.TempDir()
	hop := freeAddr(t)
	g := startGateway(t, dir, baseConfig(dir, hop, ""))
	const n = 40
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				subj := fmt.Sprintf("term %02d", i)
				reply, err := sendMail(g.SMTP, "a@client.test", []string{"user@example.test"}, smtptest.Msg("a@client.test", "user@example.test", subj, "x"))
				if err == nil && queuedRe.MatchString(reply) {
					mu.Lock()
					acked[subj] = true
					mu.Unlock()
				}
			}
		}()
	}
	// Stop once some messages are in; the rest race with the drain.
	g.waitLine(30*time.Second, func(l string) bool { return strings.Contains(l, "queued from=") })
	start := time.Now()
	g.stop(t)
	t.Logf("drained and stopped in %v", time.Since(start).Round(time.Millisecond))
	wg.Wait()
	l, err := listenOn(hop)
	if err != nil {
		t.Fatalf("next hop address taken: %v", err)
	}
	sink := smtptest.NewSinkOn(l)
	t.Cleanup(sink.Close)
	startGateway(t, dir, baseConfig(dir, hop, ""))
	mu.Lock()
	want := len(acked)
	mu.Unlock()
	waitMessages(t, sink, want, 60*time.Second)
	got := map[string]bool{}
	for _, m := range sink.Messages() {
		for subj := range acked {
			if strings.Contains(string(m.Data), "Subject: "+subj+"\r\n") {
				got[subj] = true
			}
		}
	}
	for subj := range acked {
		if !got[subj] {
			t.Errorf("acknowledged %q lost across SIGTERM", subj)
		}
	}
	t.Logf("%d acknowledged before/while draining, all delivered after restart", want)
}
