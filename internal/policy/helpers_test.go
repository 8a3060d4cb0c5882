package policy

import (
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mailwall/internal/envelope"
)

// syncBuffer is a log sink tests can read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEngine builds an engine with a text log captured in the returned
// buffer and a clock the test controls.
func newEngine(t *testing.T, cfg Config) (*Engine, *syncBuffer, *time.Time) {
	t.Helper()
	buf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(buf, nil))
	e, err := New(cfg, log, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(e.Close)
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return now }
	return e, buf, &now
}

// conn is a client connection from ip to our 192.0.2.25:25.
func conn(ip string) *envelope.Conn {
	return &envelope.Conn{
		ID:         "c1",
		RemoteAddr: netip.AddrPortFrom(netip.MustParseAddr(ip), 40000),
		LocalAddr:  netip.MustParseAddrPort("192.0.2.25:25"),
		Listener:   "smtp",
	}
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := writeFileErr(p, data); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFileErr(p, data string) error { return os.WriteFile(p, []byte(data), 0o600) }

func addr(t *testing.T, s string) envelope.Address {
	t.Helper()
	a, err := envelope.ParseAddress(s)
	if err != nil {
		t.Fatalf("ParseAddress(%q): %v", s, err)
	}
	return a
}
