package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mailwall/internal/envelope"
	"mailwall/internal/maillog"
	"mailwall/internal/queue"
	"mailwall/internal/scan"
	"mailwall/internal/smtp"
	"mailwall/internal/spool"
	"mailwall/internal/verdict"
)

// fakeDeliverer records deliveries and signals each one.
type fakeDeliverer struct {
	mu   sync.Mutex
	got  [][]byte
	done chan struct{}
}

func (d *fakeDeliverer) Deliver(_ context.Context, _, _ string, rcpts []string, msg io.Reader) []queue.Result {
	b, _ := io.ReadAll(msg)
	d.mu.Lock()
	d.got = append(d.got, b)
	d.mu.Unlock()
	d.done <- struct{}{}
	out := make([]queue.Result, len(rcpts))
	for i, r := range rcpts {
		out[i] = queue.Result{Rcpt: r, Code: 250}
	}
	return out
}

// scannerFunc makes a Scanner from a function.
type scannerFunc struct {
	name string
	f    func(ctx context.Context, t *scan.Task) (*scan.Result, error)
}

func (s scannerFunc) Name() string { return s.name }
func (s scannerFunc) Scan(ctx context.Context, t *scan.Task) (*scan.Result, error) {
	return s.f(ctx, t)
}

type harness struct {
	gw   *Gateway
	sp   *spool.Spool
	d    *fakeDeliverer
	mlog *bytes.Buffer
}

func newHarness(t *testing.T, vc *verdict.Config, scanners ...scan.Scanner) *harness {
	t.Helper()
	dir := t.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"), 1)
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDeliverer{done: make(chan struct{}, 16)}
	q, err := queue.Open(filepath.Join(dir, "queue.db"), sp, d, queue.Config{Retry: []time.Duration{time.Second}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; q.Close() })
	var mlog bytes.Buffer
	gw := New(Options{Hostname: "mx.example.test", ScanTimeout: 2 * time.Second, MaxReceived: 30,
		Routes: NewRouter([][2]string{{"*", "smtp://127.0.0.1:1"}})},
		Deps{Spool: sp, Queue: q, Scanners: scanners, Verdict: vc, MailLog: maillog.New(&syncWriter{w: &mlog}, "mx", nil)})
	return &harness{gw: gw, sp: sp, d: d, mlog: &mlog}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (h *harness) send(t *testing.T, msg string) (string, error) {
	t.Helper()
	return h.sendTo(t, msg, "u@example.test")
}

// sendTo runs one transaction from a@client.test to rcpts with msg.
func (h *harness) sendTo(t *testing.T, msg string, rcpts ...string) (string, error) {
	t.Helper()
	s := h.gw.NewSession(&envelope.Conn{ID: "c1", RemoteAddr: netip.MustParseAddrPort("192.0.2.1:1000")})
	ctx := context.Background()
	if err := s.Helo(ctx, "client.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Mail(ctx, "a@client.test", envelope.Envelope{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rcpts {
		if err := s.Rcpt(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return s.Data(ctx, strings.NewReader(msg))
}

const testMsg = "Subject: hi\r\nFrom: <a@client.test>\r\n\r\nhello\r\n"

func virus(name string) scan.Scanner {
	return scannerFunc{"CLAM_VIRUS", func(context.Context, *scan.Task) (*scan.Result, error) {
		return &scan.Result{Findings: []scan.Finding{{Symbol: "CLAM_VIRUS", Detail: name}}}, nil
	}}
}

func TestPipelineOutcomes(t *testing.T) {
	failing := scannerFunc{"CLAM_VIRUS", func(context.Context, *scan.Task) (*scan.Result, error) {
		return nil, errors.New("engine down")
	}}
	panicking := scannerFunc{"SPAM", func(context.Context, *scan.Task) (*scan.Result, error) { panic("boom") }}
	hanging := scannerFunc{"SLOW", func(ctx context.Context, _ *scan.Task) (*scan.Result, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	tagger := scannerFunc{"SPAM", func(context.Context, *scan.Task) (*scan.Result, error) {
		return &scan.Result{Score: 7, Threshold: 5, Headers: []scan.HeaderField{{Name: "X-Spam-Status", Value: "Yes, score=7.0"}}}, nil
	}}
	tests := []struct {
		name      string
		vc        verdict.Config
		scanners  []scan.Scanner
		code      int    // 0 = accepted
		delivered string // substring of the delivered copy
		log       string // substring of the mail log
	}{
		{"clean", verdict.Config{}, nil, 0, "Received: from client.test", "queued from=<a@client.test>"},
		{"virus rejected", verdict.Config{}, []scan.Scanner{virus("Eicar-Test-Signature")}, 554, "", "Eicar-Test-Signature FOUND"},
		{"engine error tempfails", verdict.Config{}, []scan.Scanner{failing}, 451, "", "reason=scanner_failed"},
		{"panic tempfails", verdict.Config{}, []scan.Scanner{panicking}, 451, "", "reason=scanner_failed"},
		{"timeout tempfails", verdict.Config{}, []scan.Scanner{hanging}, 451, "", "reason=scanner_failed"},
		{"fail open marks the message", verdict.Config{Fail: map[string]verdict.Rule{"CLAM_VIRUS": {Action: verdict.Accept}}},
			[]scan.Scanner{failing}, 0, "X-Mailwall-Unscanned: not scanned by CLAM_VIRUS", "queued"},
		{"spam tagged", verdict.Config{}, []scan.Scanner{tagger}, 0, "X-Spam-Status: Yes, score=7.0", "action=tag"},
		{"virus discarded", verdict.Config{Virus: verdict.Rule{Action: verdict.Discard}}, []scan.Scanner{virus("X")}, 0, "", "discarded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, &tt.vc, tt.scanners...)
			id, err := h.send(t, testMsg)
			if tt.code != 0 {
				e := smtp.As(err)
				if e == nil || e.Code != tt.code {
					t.Fatalf("err = %v, want %d", err, tt.code)
				}
				if !strings.Contains(e.Text, "(id "+id+")") {
					t.Errorf("reply %q lacks the queue ID %s", e.Text, id)
				}
				if ids, _ := h.sp.IDs(); len(ids) != 0 {
					t.Errorf("refused message left in the spool: %v", ids)
				}
			} else if err != nil {
				t.Fatalf("err = %v, want accepted", err)
			}
			if tt.delivered != "" {
				select {
				case <-h.d.done:
				case <-time.After(30 * time.Second):
					t.Fatal("not delivered")
				}
				got := string(h.d.got[0])
				if !strings.Contains(got, tt.delivered) || !strings.HasSuffix(got, testMsg) {
					t.Errorf("delivered %q, want %q and the original", got, tt.delivered)
				}
			}
			if !strings.Contains(h.mlog.String(), tt.log) {
				t.Errorf("mail log %q lacks %q", h.mlog.String(), tt.log)
			}
		})
	}
}

func TestRouter(t *testing.T) {
	r := NewRouter([][2]string{{"example.test", "a"}, {"*.sub.test", "b"}, {"*", "c"}, {"example.test", "ignored"}})
	for d, want := range map[string]string{"example.test": "a", "EXAMPLE.test": "a", "x.sub.test": "b", "sub.test": "c", "other.test": "c"} {
		if got := r.NextHop(d); got != want {
			t.Errorf("NextHop(%q) = %q, want %q", d, got, want)
		}
	}
	if got := NewRouter(nil).NextHop("x.test"); got != "" {
		t.Errorf("empty router = %q", got)
	}
}
