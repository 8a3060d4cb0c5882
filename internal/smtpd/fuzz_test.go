package smtpd

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mailwall/internal/gateway"
	"mailwall/internal/queue"
	"mailwall/internal/smtp"
	"mailwall/internal/spool"
)

// FuzzLineEndings: check mode passes bytes through and refuses exactly the
// inputs with a bare CR or LF; normalize mode never emits one.
func FuzzLineEndings(f *testing.F) {
	for _, s := range []string{"a\r\n", "a\n.\r\n", "\r.\r\n", "\r\n.\r", "x\r\r\n", "\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := io.ReadAll(newLineEndings(bytes.NewReader(in), false, nil))
		if !bytes.Equal(got, in) {
			t.Fatalf("check mode changed %q to %q", in, got)
		}
		if bare := hasBare(in); bare != errors.Is(err, smtp.ErrBareLF) {
			t.Fatalf("%q: bare=%v err=%v", in, bare, err)
		}
		got, err = io.ReadAll(newLineEndings(bytes.NewReader(in), true, nil))
		if err != nil || hasBare(got) {
			t.Fatalf("normalize %q = %q, %v", in, got, err)
		}
	})
}

func hasBare(b []byte) bool {
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return true
		}
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			return true
		}
	}
	return false
}

// FuzzSession feeds arbitrary client bytes to a full SMTP session over an
// in-memory connection: the server must not panic, and nothing it spools
// may contain a bare CR or LF.
func FuzzSession(f *testing.F) {
	seeds := []string{
		"EHLO a\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
		"EHLO a\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\nx\n.\nMAIL FROM:<z@z>\r\n.\r\n",
		"EHLO a\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@example.test>\r\nBDAT 5 LAST\r\nab\ncd",
		"GET / HTTP/1.1\r\n\r\n", "HELO\r\nAUTH PLAIN AGFhAGI=\r\nSTARTTLS\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"), 1)
	if err != nil {
		f.Fatal(err)
	}
	q, err := queue.Open(filepath.Join(dir, "q.db"), sp, nil, queue.Config{}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { q.Close() })
	gw := gateway.New(gateway.Options{Hostname: "mx.test", Routes: gateway.NewRouter([][2]string{{"*", "mx"}})},
		gateway.Deps{Spool: sp, Queue: q})
	srv := New(Options{Hostname: "mx.test", MaxMessageSize: 1 << 20, CommandTimeout: 5 * time.Second, DataTimeout: 5 * time.Second}, gw)
	f.Fuzz(func(t *testing.T, in []byte) {
		client, server := net.Pipe()
		l := &oneConnListener{c: server, done: make(chan struct{})}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); srv.Serve(l, "smtp") }()
		go io.Copy(io.Discard, client)
		client.SetDeadline(time.Now().Add(5 * time.Second))
		client.Write(in)
		client.Close()
		l.Close()
		wg.Wait()
		ids, _ := sp.IDs()
		for _, id := range ids {
			b, _ := os.ReadFile(filepath.Join(sp.Dir(), "msg", id))
			if hasBare(b) {
				t.Fatalf("spooled message with bare CR/LF: %q", b)
			}
		}
	})
}

// oneConnListener hands out one connection, then blocks until closed.
type oneConnListener struct {
	c    net.Conn
	once sync.Once
	done chan struct{}
	used bool
	mu   sync.Mutex
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if !l.used {
		l.used = true
		l.mu.Unlock()
		return l.c, nil
	}
	l.mu.Unlock()
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
