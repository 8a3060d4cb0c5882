package gateway

import (
	"context"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mailwall/internal/quarantine"
	"mailwall/internal/queue"
	"mailwall/internal/scan"
	"mailwall/internal/smtp"
	"mailwall/internal/verdict"
)

// copyDeliverer records each delivered copy with its recipients.
type copyDeliverer struct {
	mu   sync.Mutex
	got  map[string]string // recipient -> message
	done chan struct{}
}

func (d *copyDeliverer) Deliver(_ context.Context, _, _ string, rcpts []string, msg io.Reader) []queue.Result {
	b, _ := io.ReadAll(msg)
	d.mu.Lock()
	for _, r := range rcpts {
		d.got[r] = string(b)
	}
	d.mu.Unlock()
	out := make([]queue.Result, len(rcpts))
	for i, r := range rcpts {
		out[i] = queue.Result{Rcpt: r, Code: 250}
	}
	d.done <- struct{}{}
	return out
}

// wait waits (bounded) for n delivered copies and returns them by recipient.
func (d *copyDeliverer) wait(t *testing.T, n int) map[string]string {
	t.Helper()
	for range n {
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			t.Fatal("not delivered")
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.got
}

type splitHarness struct {
	*harness
	d     *copyDeliverer
	quar  *quarantine.Store
	scans *atomic.Int64 // spam scanner calls
}

// newSplitHarness runs a gateway whose spam scanner scores every message
// score (required_score 5), with a quarantine store.
func newSplitHarness(t *testing.T, vc *verdict.Config, score float64) *splitHarness {
	t.Helper()
	var scans atomic.Int64
	spamScanner := scannerFunc{verdict.ScannerSpam, func(context.Context, *scan.Task) (*scan.Result, error) {
		scans.Add(1)
		return &scan.Result{Score: score, Threshold: 5, Headers: []scan.HeaderField{{Name: "X-Spam-Status", Value: "score=6.0"}}}, nil
	}}
	h := newHarness(t, vc, spamScanner)
	// the harness's queue delivers to its own deliverer; build a second
	// queue over the same spool with one that records recipients
	dir := t.TempDir()
	d := &copyDeliverer{got: map[string]string{}, done: make(chan struct{}, 16)}
	q, err := queue.Open(filepath.Join(dir, "queue.db"), h.sp, d, queue.Config{Retry: []time.Duration{time.Second}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; q.Close() })
	quar, err := quarantine.Open(filepath.Join(dir, "quarantine"), h.sp)
	if err != nil {
		t.Fatal(err)
	}
	h.gw.queue, h.gw.quarantine = q, quar
	return &splitHarness{harness: h, d: d, quar: quar, scans: &scans}
}

// sendToAll sends testMsg to rcpts in one transaction.
func (h *splitHarness) sendToAll(t *testing.T, rcpts ...string) (string, error) {
	t.Helper()
	return h.sendTo(t, testMsg, rcpts...)
}

// prefs is a global Config (tag at 5) with per-domain preferences.
func prefs() *verdict.Config {
	return &verdict.Config{TagScore: 5, Domains: map[string]*verdict.Config{
		"reject5.test":  {RejectScore: 5, SpamReject: verdict.Rule{Text: "strict says no"}},
		"reject5b.test": {RejectScore: 5, SpamReject: verdict.Rule{Text: "strict b says no"}},
		"tag5.test":     {TagScore: 5},
		"tag10.test":    {TagScore: 10},
		"quar5.test":    {TagScore: 5, QuarantineScore: 5},
		"off.test":      {SpamOff: true},
	}}
}

func hasFlag(msg string) bool { return strings.Contains(msg, "X-Spam-Flag: YES") }

// TestSplitRejectAndTag: one domain rejects at 5, another only tags at
// 5: the message is accepted, the tagged copy is queued for the second
// and nothing for the first, and the mail log says so per recipient.
func TestSplitRejectAndTag(t *testing.T) {
	h := newSplitHarness(t, prefs(), 6)
	id, err := h.sendToAll(t, "a@reject5.test", "b@tag5.test")
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	got := h.d.wait(t, 1)
	if len(got) != 1 || !hasFlag(got["b@tag5.test"]) || !strings.HasSuffix(got["b@tag5.test"], testMsg) {
		t.Fatalf("delivered %q, want one tagged copy for b@tag5.test", got)
	}
	log := h.mlog.String()
	for _, want := range []string{id + ": split score=6.0: to=<a@reject5.test> dropped (reject: spam score 6.0), to=<b@tag5.test> tag (id " + id + ")",
		"action=tag"} {
		if !strings.Contains(log, want) {
			t.Errorf("mail log lacks %q:\n%s", want, log)
		}
	}
}

// TestSplitAllReject: every recipient rejects: 5xx at DATA with the
// least severe reply, nothing kept.
func TestSplitAllReject(t *testing.T) {
	h := newSplitHarness(t, prefs(), 6)
	id, err := h.sendToAll(t, "a@reject5.test", "b@reject5b.test")
	e := smtp.As(err)
	if e == nil || e.Code != 550 || !strings.HasPrefix(e.Text, "strict says no") {
		t.Fatalf("err = %v, want 550 strict says no", err)
	}
	if ids, _ := h.sp.IDs(); len(ids) != 0 {
		t.Errorf("refused message %s left in the spool: %v", id, ids)
	}
}

// TestSplitQuarantineAndDeliver: one recipient quarantines, the other
// gets an untagged copy; each copy is its own spool file.
func TestSplitQuarantineAndDeliver(t *testing.T) {
	h := newSplitHarness(t, prefs(), 6)
	id, err := h.sendToAll(t, "a@quar5.test", "b@tag10.test", "c@quar5.test")
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	got := h.d.wait(t, 1)
	if len(got) != 1 || got["b@tag10.test"] == "" || hasFlag(got["b@tag10.test"]) {
		t.Fatalf("delivered %q, want one untagged copy for b@tag10.test", got)
	}
	es, err := h.quar.List()
	if err != nil || len(es) != 1 {
		t.Fatalf("quarantine = %v, %v", es, err)
	}
	e := es[0]
	if strings.Join(e.Rcpts, ",") != "a@quar5.test,c@quar5.test" || !strings.Contains(string(e.Prefix), "X-Spam-Flag: YES") {
		t.Errorf("quarantined %+v", e)
	}
	if e.ID != id {
		t.Errorf("quarantined copy has ID %s, want the transaction's %s (first group)", e.ID, id)
	}
	m, err := h.sp.Open(e.ID)
	if err != nil {
		t.Fatalf("quarantined copy not in the spool: %v", err)
	}
	b := make([]byte, m.Size())
	m.ReadAt(b, 0)
	m.Close()
	if string(b) != testMsg {
		t.Errorf("quarantined copy = %q", b)
	}
	re := regexp.MustCompile(id + `: split score=6.0: to=<a@quar5.test> quarantine \(id ` + id +
		`\), to=<b@tag10.test> accept \(id (\w+)\), to=<c@quar5.test> quarantine \(id ` + id + `\)`)
	sub := re.FindStringSubmatch(h.mlog.String())
	if sub == nil || sub[1] == id {
		t.Errorf("mail log:\n%s", h.mlog.String())
	} else if !strings.Contains(h.mlog.String(), sub[1]+": queued from=<a@client.test>, size=") {
		t.Errorf("no queued line for the copy %s:\n%s", sub[1], h.mlog.String())
	}
}

// TestSplitTaggedAndUntagged: tagging differs per recipient, so each
// gets its own copy, tag headers only where tagged; a recipient with the
// spam check off gets no spam headers at all.
func TestSplitTaggedAndUntagged(t *testing.T) {
	h := newSplitHarness(t, prefs(), 6)
	if _, err := h.sendToAll(t, "a@tag5.test", "b@tag10.test", "c@off.test"); err != nil {
		t.Fatalf("refused: %v", err)
	}
	got := h.d.wait(t, 3)
	var rcpts []string
	for r := range got {
		rcpts = append(rcpts, r)
	}
	sort.Strings(rcpts)
	if strings.Join(rcpts, ",") != "a@tag5.test,b@tag10.test,c@off.test" {
		t.Fatalf("delivered to %v", rcpts)
	}
	if !hasFlag(got["a@tag5.test"]) || hasFlag(got["b@tag10.test"]) || hasFlag(got["c@off.test"]) {
		t.Errorf("flags wrong: %q", got)
	}
	if !strings.Contains(got["b@tag10.test"], "X-Spam-Status") || strings.Contains(got["c@off.test"], "X-Spam-Status") {
		t.Errorf("spam headers wrong: %q", got)
	}
	for r, m := range got {
		if !strings.HasSuffix(m, testMsg) {
			t.Errorf("%s got %q", r, m)
		}
	}
}

// TestSpamOffSkipsScanner: when no recipient wants the spam check the
// spam scanner does not run; one that wants it makes it run.
func TestSpamOffSkipsScanner(t *testing.T) {
	h := newSplitHarness(t, prefs(), 20)
	if _, err := h.sendToAll(t, "a@off.test", "b@off.test"); err != nil {
		t.Fatalf("refused: %v", err)
	}
	got := h.d.wait(t, 1)
	if n := h.scans.Load(); n != 0 {
		t.Errorf("spam scanner ran %d times for spam-off recipients", n)
	}
	if hasFlag(got["a@off.test"]) || got["a@off.test"] != got["b@off.test"] {
		t.Errorf("delivered %q", got)
	}
	if _, err := h.sendToAll(t, "a@off.test", "b@tag5.test"); err != nil {
		t.Fatalf("refused: %v", err)
	}
	h.d.wait(t, 2)
	if n := h.scans.Load(); n != 1 {
		t.Errorf("spam scanner ran %d times, want 1", n)
	}
}
