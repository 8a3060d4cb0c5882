package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const body = "From: a@example.org\r\nSubject: test\r\n\r\nhello\r\n"

func TestEnqueueDelivered(t *testing.T) {
	f := newFake(nil)
	e := newEnv(t, "", Config{}, f, true)
	id := e.send("a@example.org", body, "b@example.test", "c@example.test")
	c := waitCall(t, f)
	if c.body != "X-Test: 1\r\n"+body || c.from != "a@example.org" || len(c.rcpts) != 2 || c.hop != "smtp://127.0.0.1:2526" {
		t.Errorf("delivered %+v", c)
	}
	for range 2 {
		if ev := e.waitEvent("delivered"); ev.ID != id || ev.Attempts != 1 {
			t.Errorf("event %+v", ev)
		}
	}
	e.stop()
	if _, err := e.sp.Open(id); err == nil {
		t.Error("spool file kept after delivery")
	}
	if items, _ := e.q.List(); len(items) != 0 {
		t.Errorf("queue holds %d items after delivery", len(items))
	}
}

func TestDeferredThenDelivered(t *testing.T) {
	f := newFake(func(c call, n int) []Result {
		if n == 1 {
			return failAllCode(c.rcpts, 451, "4.3.0", false)
		}
		return okAll(c.rcpts)
	})
	e := newEnv(t, "", Config{Retry: []time.Duration{10 * time.Millisecond}}, f, true)
	e.send("a@example.org", body, "b@example.test")
	ev := e.waitEvent("deferred", "delivered")
	if ev.Kind != "deferred" || ev.Reply != "451 4.3.0 nope" {
		t.Fatalf("first event %+v, want deferred with the reply", ev)
	}
	if ev := e.waitEvent("delivered"); ev.Attempts != 2 {
		t.Errorf("delivered after %d attempts, want 2", ev.Attempts)
	}
}

func TestRetrySchedule(t *testing.T) {
	arrived := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := arrived
	q := &Queue{cfg: Config{Retry: []time.Duration{time.Minute, 5 * time.Minute}, GiveUp: time.Hour, Now: func() time.Time { return now }}}
	q.cfg.setDefaults()
	tests := []struct {
		at       time.Duration // since arrival
		attempts int           // before this attempt
		wantNext time.Duration // since arrival; 0: expired
	}{
		{0, 0, time.Minute},
		{time.Minute, 1, 6 * time.Minute},
		{6 * time.Minute, 2, 11 * time.Minute}, // the last interval repeats
		{58 * time.Minute, 9, time.Hour},       // capped at the deadline
		{time.Hour, 10, 0},
	}
	for _, tt := range tests {
		now = arrived.Add(tt.at)
		r := &record{ID: "x", Arrived: arrived, Rcpts: []rcptRec{{Addr: "b@x", NextHop: "mx", State: statePending, Attempts: tt.attempts}}}
		c, evs, fails := q.outcome(context.Background(), r, []int{0}, failAllCode([]string{"b@x"}, 451, "4.0.0", false))
		if tt.wantNext == 0 {
			if len(fails) != 1 || evs[0].Kind != "expired" || c[0].State != stateFailed {
				t.Errorf("at %v: %+v, want expired", tt.at, evs)
			}
			continue
		}
		if got := c[0].Next.Sub(arrived); got != tt.wantNext || evs[0].Kind != "deferred" {
			t.Errorf("at %v: next at %v (%s), want %v", tt.at, got, evs[0].Kind, tt.wantNext)
		}
	}
}

func TestGiveUpSendsOneDSN(t *testing.T) {
	f := newFake(func(c call, n int) []Result {
		if c.from == "" {
			return okAll(c.rcpts) // the bounce itself goes through
		}
		return failAllCode(c.rcpts, 451, "4.7.1", false)
	})
	e := newEnv(t, "", Config{Retry: []time.Duration{5 * time.Millisecond}, GiveUp: 30 * time.Millisecond}, f, true)
	id := e.send("sender@example.org", body, "b@example.test", "c@example.test")
	var dsns []call
	for {
		c := waitCall(t, f)
		if c.from == "" {
			dsns = append(dsns, c)
			break
		}
	}
	e.waitEvent("delivered") // the DSN
	e.stop()
	for len(f.calls) > 0 {
		if c := <-f.calls; c.from == "" {
			dsns = append(dsns, c)
		}
	}
	if len(dsns) != 1 {
		t.Fatalf("%d DSNs, want 1", len(dsns))
	}
	d := dsns[0]
	if len(d.rcpts) != 1 || d.rcpts[0] != "sender@example.org" {
		t.Errorf("DSN to %v", d.rcpts)
	}
	for _, want := range []string{
		"Content-Type: multipart/report; report-type=delivery-status;",
		"Content-Type: message/delivery-status",
		"Reporting-MTA: dns; mx.example.test",
		"Final-Recipient: rfc822; b@example.test",
		"Final-Recipient: rfc822; c@example.test",
		"Action: failed",
		"Status: 4.7.1",
		"Diagnostic-Code: smtp; 451 4.7.1 nope",
		"Content-Type: text/rfc822-headers",
		"X-Test: 1\r\nFrom: a@example.org\r\nSubject: test\r\n",
		"X-Mailwall-Queue-ID: " + id,
	} {
		if !strings.Contains(d.body, want) {
			t.Errorf("DSN lacks %q", want)
		}
	}
	if strings.Contains(d.body, "hello") {
		t.Error("DSN returns the body")
	}
	checkCRLF(t, d.body)
}

func checkCRLF(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if (s[i] == '\n' && (i == 0 || s[i-1] != '\r')) || (s[i] == '\r' && (i+1 == len(s) || s[i+1] != '\n')) {
			t.Fatalf("bare CR or LF at %d", i)
		}
	}
}

func TestNullSenderNeverBounces(t *testing.T) {
	f := newFake(func(c call, n int) []Result { return failAllCode(c.rcpts, 550, "5.1.1", true) })
	e := newEnv(t, "", Config{}, f, true)
	e.send("", body, "b@example.test")
	e.waitEvent("bounced")
	// A bounce is queued before the event is reported, so the queue must be
	// empty now if none was made.
	if items, _ := e.q.List(); len(items) != 0 {
		t.Fatalf("queue holds %d items; a <> sender got a bounce", len(items))
	}
	e.stop()
	if n := len(f.calls); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}

func TestPermanentFailureBouncesOnlyFailed(t *testing.T) {
	f := newFake(func(c call, n int) []Result {
		if c.from == "" {
			return okAll(c.rcpts)
		}
		res := okAll(c.rcpts)
		res[1] = Result{Rcpt: c.rcpts[1], Code: 550, Enhanced: "5.1.1", Text: "no such user\r\nInjected: x", Err: errors.New("550"), Permanent: true}
		return res
	})
	e := newEnv(t, "", Config{}, f, true)
	e.send("s@example.org", body, "ok@example.test", "gone@example.test")
	ev := e.waitEvent("bounced")
	if ev.Rcpt != "gone@example.test" || ev.DSN == "" {
		t.Errorf("bounce event %+v", ev)
	}
	waitCall(t, f)
	d := waitCall(t, f)
	if d.from != "" || strings.Contains(d.body, "ok@example.test") || !strings.Contains(d.body, "Status: 5.1.1") {
		t.Errorf("DSN from %q:\n%s", d.from, d.body)
	}
	if strings.Contains(d.body, "\r\nInjected:") {
		t.Error("remote reply injected a line into the DSN")
	}
}

func TestResumeAfterReopen(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir, Config{}, newFake(nil), false) // never runs
	id := e.send("a@example.org", body, "b@example.test")
	e.stop()

	f := newFake(nil)
	e2 := newEnv(t, dir, Config{}, f, true)
	if ev := e2.waitEvent("delivered"); ev.ID != id {
		t.Errorf("delivered %s, want %s", ev.ID, id)
	}
	if c := waitCall(t, f); c.body != "X-Test: 1\r\n"+body {
		t.Errorf("body after reopen %q", c.body)
	}
}

func TestDeferredSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	fail := newFake(func(c call, n int) []Result { return failAllCode(c.rcpts, 421, "4.4.2", false) })
	e := newEnv(t, dir, Config{Retry: []time.Duration{time.Hour}}, fail, true)
	e.send("a@example.org", body, "b@example.test")
	e.waitEvent("deferred")
	e.stop()

	e2 := newEnv(t, dir, Config{Retry: []time.Duration{time.Hour}}, newFake(nil), true)
	items, _ := e2.q.List()
	if len(items) != 1 || items[0].Rcpts[0].Attempts != 1 || items[0].Rcpts[0].State != statePending {
		t.Fatalf("after restart: %+v", items)
	}
	e2.q.Flush()
	if ev := e2.waitEvent("delivered"); ev.Attempts != 2 {
		t.Errorf("delivered after %d attempts, want 2", ev.Attempts)
	}
}

func TestDamagedSpoolFile(t *testing.T) {
	tests := []struct {
		name   string
		damage func(path string) error
	}{
		{"truncated", func(p string) error { return os.Truncate(p, 10) }},
		{"missing", os.Remove},
		{"altered", func(p string) error {
			return os.WriteFile(p, []byte(strings.Replace(body, "hello", "HELLO", 1)), 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			e := newEnv(t, dir, Config{}, newFake(nil), false)
			id := e.send("a@example.org", body, "b@example.test")
			good := e.send("a@example.org", body, "b@example.test")
			e.stop()
			if err := tt.damage(filepath.Join(dir, "spool", "msg", id)); err != nil {
				t.Fatal(err)
			}
			f := newFake(nil)
			e2 := newEnv(t, dir, Config{}, f, true)
			got := map[string]string{}
			for range 2 {
				ev := e2.waitEvent("corrupt", "delivered")
				got[ev.Kind] = ev.ID
			}
			if got["corrupt"] != id || got["delivered"] != good {
				t.Errorf("events %v; want corrupt %s, delivered %s", got, id, good)
			}
			e2.stop()
			if n := len(f.calls); n != 1 {
				t.Errorf("%d deliveries, want 1: the damaged message was delivered", n)
			}
			if tt.name != "missing" {
				if _, err := os.Stat(filepath.Join(dir, "spool", "corrupt", id)); err != nil {
					t.Errorf("damaged file not in corrupt/: %v", err)
				}
			}
		})
	}
}

func TestUndecodableRecord(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir, Config{}, newFake(nil), false)
	good := e.send("a@example.org", body, "b@example.test")
	e.stop()
	db, err := bolt.Open(filepath.Join(dir, "queue.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMsgs)
		b.Put([]byte("00000000000000000000"), []byte(`{"v":1,"id":"000`)) // torn
		return b.Put([]byte("00000000000000000001"), []byte(`{"v":7}`))   // unknown version
	})
	db.Close()

	e2 := newEnv(t, dir, Config{}, newFake(nil), true)
	seen := map[string]string{}
	for range 3 {
		ev := e2.waitEvent("corrupt", "delivered")
		seen[ev.ID] = ev.Kind
	}
	if seen["00000000000000000000"] != "corrupt" || seen["00000000000000000001"] != "corrupt" || seen[good] != "delivered" {
		t.Errorf("events %v", seen)
	}
}

func TestPerDestinationLimit(t *testing.T) {
	var mu sync.Mutex
	cur, most := 0, 0
	entered := make(chan struct{}, 100)
	release := make(chan struct{})
	f := newFake(func(c call, n int) []Result {
		mu.Lock()
		cur++
		most = max(most, cur)
		mu.Unlock()
		entered <- struct{}{}
		<-release
		mu.Lock()
		cur--
		mu.Unlock()
		return okAll(c.rcpts)
	})
	e := newEnv(t, "", Config{PerDestination: 2, Concurrency: 10}, f, true)
	const n = 8
	for range n {
		e.send("a@example.org", body, "b@example.test")
	}
	<-entered
	<-entered
	close(release)
	for range n {
		e.waitEvent("delivered")
	}
	if most != 2 {
		t.Errorf("at most %d deliveries at once to one next hop, want 2", most)
	}
}

func TestEnqueueRefusesBadArgs(t *testing.T) {
	e := newEnv(t, "", Config{}, newFake(nil), false)
	id := e.spoolMsg(body)
	tests := []struct {
		from  string
		rcpts []Recipient
	}{
		{"a@x\r\nRCPT TO:<v@x>", []Recipient{{"b@x", "mx"}}},
		{"a@x", []Recipient{{"b@x\n", "mx"}}},
		{"a@x", []Recipient{{"b\x00@x", "mx"}}},
		{"a@x", []Recipient{{"b@x", ""}}},
		{"a@x", nil},
	}
	for _, tt := range tests {
		if err := e.q.Enqueue(context.Background(), id, nil, tt.from, tt.rcpts); err == nil {
			t.Errorf("Enqueue(%q, %q) succeeded", tt.from, tt.rcpts)
		}
	}
	if err := e.q.Enqueue(context.Background(), "00000000000000000000", nil, "a@x", []Recipient{{"b@x", "mx"}}); err == nil {
		t.Error("Enqueue of a message not in the spool succeeded")
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, "", Config{}, newFake(nil), false)
	id := e.send("a@example.org", body, "b@example.test")
	if err := e.q.Delete(id); err != nil {
		t.Fatal(err)
	}
	if items, _ := e.q.List(); len(items) != 0 {
		t.Errorf("List after Delete: %+v", items)
	}
	if _, err := e.sp.Open(id); err == nil {
		t.Error("spool file kept after Delete")
	}
	if err := e.q.Delete(id); !errors.Is(err, ErrUnknown) {
		t.Errorf("second Delete: %v, want ErrUnknown", err)
	}
}

func TestMXGroupsByDomain(t *testing.T) {
	f := newFake(nil)
	e := newEnv(t, "", Config{}, f, true)
	id := e.spoolMsg(body)
	rs := []Recipient{{"a@one.test", "mx"}, {"b@two.test", "mx"}, {"c@ONE.test", "mx"}}
	if err := e.q.Enqueue(context.Background(), id, nil, "s@x", rs); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for range 2 {
		c := waitCall(t, f)
		got[strings.Join(c.rcpts, ",")] = true
	}
	if !got["a@one.test,c@ONE.test"] || !got["b@two.test"] {
		t.Errorf("groups %v", got)
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	f := newFake(func(c call, n int) []Result {
		close(entered)
		select {
		case <-release:
			return okAll(c.rcpts)
		case <-c.ctx.Done():
			return failAllCode(c.rcpts, 0, "", false)
		}
	})
	dir := t.TempDir()
	e := newEnv(t, dir, Config{Drain: time.Minute}, f, true)
	e.send("a@example.org", body, "b@example.test")
	<-entered
	e.cancel() // like SIGTERM during a delivery
	close(release)
	e.stop()
	if ev := e.waitEvent("delivered"); ev.Attempts != 1 {
		t.Errorf("event %+v", ev)
	}
	e2 := newEnv(t, dir, Config{}, newFake(nil), false)
	if items, _ := e2.q.List(); len(items) != 0 {
		t.Errorf("%d items left after a drained shutdown", len(items))
	}
}

func TestDSNForUTF8Recipient(t *testing.T) {
	f := newFake(func(c call, n int) []Result {
		if c.from == "" {
			return okAll(c.rcpts)
		}
		return failAllCode(c.rcpts, 550, "5.1.1", true)
	})
	e := newEnv(t, "", Config{}, f, true)
	e.send("s@example.org", body, "jörg@example.test")
	waitCall(t, f)
	if d := waitCall(t, f); !strings.Contains(d.body, "Final-Recipient: utf-8; jörg@example.test") {
		t.Errorf("DSN:\n%s", d.body)
	}
}

func TestDelivererPanicDefers(t *testing.T) {
	f := newFake(func(c call, n int) []Result {
		if n == 1 {
			panic("peer broke the parser")
		}
		return okAll(c.rcpts)
	})
	e := newEnv(t, "", Config{Retry: []time.Duration{time.Millisecond}}, f, true)
	e.send("a@example.org", body, "b@example.test")
	if ev := e.waitEvent("deferred", "delivered"); ev.Kind != "deferred" {
		t.Fatalf("first event %+v, want deferred", ev)
	}
	e.waitEvent("delivered")
}
