package clamd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// fakeScanner finds "Eicar-Test-Signature" in data containing "EICAR",
// also "Second.Match" in all-match mode when the data contains "SECOND",
// and fails on data containing "BROKEN".
type fakeScanner struct{ reloads atomic.Int32 }

func (f *fakeScanner) verdict(b []byte, all bool) ([]string, error) {
	if bytes.Contains(b, []byte("BROKEN")) {
		return nil, errors.New("Can't parse data")
	}
	var names []string
	if bytes.Contains(b, []byte("EICAR")) {
		names = append(names, "Eicar-Test-Signature")
	}
	if all && bytes.Contains(b, []byte("SECOND")) {
		names = append(names, "Second.Match")
	}
	return names, nil
}

func (f *fakeScanner) ScanReader(_ context.Context, r io.Reader) ([]string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return f.verdict(b, false)
}

func (f *fakeScanner) ScanFile(_ context.Context, path string, all bool) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return f.verdict(b, all)
}

func (f *fakeScanner) Version() string { return "ClamAV 1.4.6/42/Mon Nov 23 09:40:00 2026" }
func (f *fakeScanner) Reload() error   { f.reloads.Add(1); return nil }

// testServer runs a server on a unix socket and on 127.0.0.1:0.
type testServer struct {
	srv        *Server
	fake       *fakeScanner
	unix, tcp  string
	shutdowns  chan struct{}
	serveErrCh chan error
}

func startServer(t testing.TB, o ServerOptions) *testServer {
	t.Helper()
	ts := &testServer{fake: &fakeScanner{}, serveErrCh: make(chan error, 2), shutdowns: make(chan struct{}, 2)}
	o.OnShutdown = func() { ts.shutdowns <- struct{}{} }
	ts.srv = NewServer(ts.fake, o)
	ts.unix = filepath.Join(t.TempDir(), "clamd.sock")
	ul, err := net.Listen("unix", ts.unix)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.tcp = tl.Addr().String()
	for _, l := range []net.Listener{ul, tl} {
		go func() { ts.serveErrCh <- ts.srv.Serve(context.Background(), l) }()
	}
	t.Cleanup(func() { ts.srv.Close() })
	return ts
}

// talk sends data and returns everything the server writes until it closes.
func talk(t *testing.T, network, addr string, data []byte) string {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		_, _ = c.Write(data)
		// Half-close, so a command cut short by EOF is seen as ended.
		if hc, ok := c.(interface{ CloseWrite() error }); ok {
			_ = hc.CloseWrite()
		}
	}()
	out, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("read: %v (got %q)", err, out)
	}
	return string(out)
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset")
}

// stream frames data as INSTREAM chunks of at most n bytes plus the end.
func stream(data []byte, n int) []byte {
	var b []byte
	for len(data) > 0 {
		k := min(n, len(data))
		b = binary.BigEndian.AppendUint32(b, uint32(k))
		b = append(b, data[:k]...)
		data = data[k:]
	}
	return binary.BigEndian.AppendUint32(b, 0)
}

func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			b = append(b, v...)
		case []byte:
			b = append(b, v...)
		}
	}
	return b
}
