package clamd

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// panicHandler fails the fuzz run when the server logs a recovered panic.
type panicHandler struct {
	slog.Handler
	t *testing.T
}

func (h panicHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		h.t.Errorf("server panicked: %s", r.Message)
	}
	return nil
}

// socketPair returns the two ends of a connected unix stream socket pair.
func socketPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "pair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	return conn(fds[0]), conn(fds[1])
}

// FuzzConversation feeds arbitrary bytes to one server connection: it must
// not panic, must end, and every reply record must be terminated.
func FuzzConversation(f *testing.F) {
	for _, s := range []string{
		"zPING\x00", "nIDSESSION\nnPING\nnVERSION\nnEND\n", "zINSTREAM\x00\x00\x00\x00\x04abcd\x00\x00\x00\x00",
		"zIDSESSION\x00zINSTREAM\x00\x00\x00\x00\x02EI\x00\x00\x00\x00zSTATS\x00zEND\x00",
		"zSCAN /nonexistent\x00", "zFILDES\x00\x00", "VERSIONCOMMANDS\n", "zIDSESSION\x00zFOO\x00",
		"zINSTREAM\x00\xff\xff\xff\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Path commands would walk this machine's file system; the SCAN
		// family is covered by the protocol tests.
		data = bytes.ReplaceAll(data, []byte("SCAN"), []byte("SCAM"))
		s := NewServer(&fakeScanner{}, ServerOptions{
			StreamMaxLength: 1 << 16, ReadTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second,
			Log: slog.New(panicHandler{slog.DiscardHandler, t}),
		})
		defer s.Close()
		cli, srv := socketPair(t)
		defer cli.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.serveConn(context.Background(), srv)
			srv.Close()
		}()
		go func() {
			_, _ = cli.Write(data)
			_ = cli.CloseWrite()
		}()
		_ = cli.SetReadDeadline(time.Now().Add(10 * time.Second))
		out, err := io.ReadAll(cli)
		if err != nil && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("read: %v", err)
		}
		<-done
		if len(out) > 0 && out[len(out)-1] != 0 && out[len(out)-1] != '\n' {
			t.Fatalf("unterminated reply %q", out)
		}
	})
}
