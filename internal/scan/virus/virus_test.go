package virus

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mailwall/internal/clamd"
	"mailwall/internal/scan"
)

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// fakeEngine finds EICAR, reports a limit on "HUGE", fails on "BROKEN"
// and blocks on "SLOW" until ctx ends.
type fakeEngine struct{}

func (fakeEngine) ScanReader(ctx context.Context, r io.Reader, _ string) (Verdict, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Verdict{}, err
	}
	var v Verdict
	switch {
	case bytes.Contains(b, []byte("SLOW")):
		<-ctx.Done()
		return v, ctx.Err()
	case bytes.Contains(b, []byte("BROKEN")):
		return v, errors.New("engine broke")
	}
	if bytes.Contains(b, []byte("EICAR")) {
		v.Names = append(v.Names, "Eicar-Test-Signature")
	}
	if bytes.Contains(b, []byte("HUGE")) {
		v.Heuristic = "Heuristics.Limits.Exceeded.MaxFileSize"
	}
	if bytes.Contains(b, []byte("LOCKED")) {
		v.Names = append(v.Names, "Heuristics.Encrypted.Zip")
	}
	return v, nil
}

func task(body string) *scan.Task {
	msg := "From: a@example.org\r\nSubject: t\r\n\r\n" + body + "\r\n"
	return &scan.Task{ID: "Q1", Raw: strings.NewReader(msg), Size: int64(len(msg))}
}

func findings(rep *scan.Report) string {
	var s []string
	for _, f := range rep.Findings() {
		if strings.HasSuffix(f.Symbol, "_FAIL") {
			s = append(s, f.Symbol)
			continue
		}
		s = append(s, f.Symbol+"="+f.Detail)
	}
	return strings.Join(s, " ")
}

func checkScanner(t *testing.T, e Engine) {
	t.Helper()
	tests := []struct{ body, want string }{
		{"hello", ""},
		{eicar, "CLAM_VIRUS=Eicar-Test-Signature"},
		{"HUGE", "CLAM_LIMITS=Heuristics.Limits.Exceeded.MaxFileSize"},
		{"LOCKED", "CLAM_ENCRYPTED=Heuristics.Encrypted.Zip"},
		{eicar + " HUGE", "CLAM_VIRUS=Eicar-Test-Signature CLAM_LIMITS=Heuristics.Limits.Exceeded.MaxFileSize"},
		{"BROKEN", "CLAM_VIRUS_FAIL"},
		{"SLOW", "CLAM_VIRUS_FAIL"},
	}
	s := New(e, "mailwall test")
	for _, tt := range tests {
		rep := scan.Run(context.Background(), task(tt.body), []scan.Scanner{s}, 2*time.Second)
		if got := findings(rep); got != tt.want {
			t.Errorf("%.20q: findings %q, want %q", tt.body, got, tt.want)
		}
		if tt.want == "CLAM_VIRUS_FAIL" {
			continue
		}
		h := rep.Results[0].Headers
		if len(h) != 1 || h[0].Name != "X-Virus-Scanned" || h[0].Value != "mailwall test" {
			t.Errorf("%.20q: headers %v", tt.body, h)
		}
	}
}

func TestNative(t *testing.T) { checkScanner(t, fakeEngine{}) }

// clamdFront serves fakeEngine over the clamd protocol, the way an
// external clamd would answer (heuristics as names).
type clamdFront struct{}

func (clamdFront) ScanReader(ctx context.Context, r io.Reader) ([]string, error) {
	v, err := fakeEngine{}.ScanReader(ctx, r, "")
	if v.Heuristic != "" {
		v.Names = append(v.Names, v.Heuristic)
	}
	return v.Names, err
}
func (clamdFront) ScanFile(context.Context, string, bool) ([]string, error) { return nil, nil }
func (clamdFront) Version() string                                          { return "ClamAV 1.4.6" }
func (clamdFront) Reload() error                                            { return nil }

func TestClamd(t *testing.T) {
	srv := clamd.NewServer(clamdFront{}, clamd.ServerOptions{})
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "c.sock"))
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(context.Background(), l)
	defer srv.Close()
	checkScanner(t, &Clamd{Client: clamd.NewClient("unix:" + l.Addr().String())})
}

func TestClamdDown(t *testing.T) {
	s := New(&Clamd{Client: clamd.NewClient("unix:" + filepath.Join(t.TempDir(), "none.sock"))}, "")
	rep := scan.Run(context.Background(), task(eicar), []scan.Scanner{s}, 2*time.Second)
	if got := findings(rep); got != "CLAM_VIRUS_FAIL" {
		t.Errorf("clamd down: findings %q, want CLAM_VIRUS_FAIL", got)
	}
}

func TestCurrentReload(t *testing.T) {
	gen := 0
	fail := false
	c, err := NewCurrent(func() (int, error) {
		if fail {
			return 0, errors.New("bad database")
		}
		gen++
		return gen, nil
	})
	if err != nil || c.Get() != 1 {
		t.Fatalf("first load: %v, %d", err, c.Get())
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if g := c.Get(); g < 1 {
					t.Errorf("Get = %d", g)
				}
			}
		}()
	}
	for range 3 {
		if err := c.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if c.Get() != 4 {
		t.Errorf("after 3 reloads Get = %d, want 4", c.Get())
	}
	fail = true
	if err := c.Reload(); err == nil {
		t.Error("failed load reported success")
	}
	if c.Get() != 4 {
		t.Errorf("failed reload changed the set to %d", c.Get())
	}
}
