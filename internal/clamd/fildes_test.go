package clamd

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sendFD sends cmd then one byte carrying f's descriptor, as clamdscan
// --fdpass does, and returns the reply.
func sendFD(t *testing.T, sock, cmd string, f *os.File) string {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	uc := c.(*net.UnixConn)
	if _, err := uc.Write([]byte(cmd)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := uc.WriteMsgUnix([]byte{0}, syscall.UnixRights(int(f.Fd())), nil); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := uc.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestFildes(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	dir := t.TempDir()
	for _, tt := range []struct{ body, suffix string }{
		{eicar, ": Eicar-Test-Signature FOUND\x00"},
		{"clean", ": OK\x00"},
	} {
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, []byte(tt.body), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		got := sendFD(t, ts.unix, "zFILDES\x00", f)
		f.Close()
		if len(got) < 4 || got[:3] != "fd[" || !hasSuffix(got, "]"+tt.suffix) {
			t.Errorf("FILDES %q: got %q, want fd[N]%s", tt.body, got, tt.suffix)
		}
	}
}

func TestFildesOverTCP(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	got := talk(t, "tcp", ts.tcp, []byte("zFILDES\x00\x00"))
	if !hasSuffix(got, " ERROR\x00") {
		t.Errorf("FILDES over TCP: got %q, want an ERROR reply", got)
	}
}

func TestFildesWithoutDescriptor(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	got := talk(t, "unix", ts.unix, []byte("zFILDES\x00\x00"))
	if got != "FILDES: didn't receive file descriptor. ERROR\x00" {
		t.Errorf("got %q", got)
	}
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// TestFildesInSession passes two descriptors in one session; replies carry
// the request numbers.
func TestFildesInSession(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	dir := t.TempDir()
	var files []*os.File
	for i, body := range []string{eicar, "clean"} {
		p := filepath.Join(dir, string(rune('a'+i)))
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files = append(files, f)
	}
	c, err := net.DialTimeout("unix", ts.unix, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	uc := c.(*net.UnixConn)
	uc.Write([]byte("zIDSESSION\x00zPING\x00"))
	for _, f := range files {
		uc.Write([]byte("zFILDES\x00"))
		if _, _, err := uc.WriteMsgUnix([]byte{0}, syscall.UnixRights(int(f.Fd())), nil); err != nil {
			t.Fatal(err)
		}
	}
	uc.Write([]byte("zEND\x00"))
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := uc.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	parts := strings.Split(strings.TrimSuffix(string(got), "\x00"), "\x00")
	slices.Sort(parts) // background scans answer in completion order
	if len(parts) != 3 || parts[0] != "1: PONG" ||
		!strings.HasPrefix(parts[1], "2: fd[") || !strings.HasSuffix(parts[1], "]: Eicar-Test-Signature FOUND") ||
		!strings.HasPrefix(parts[2], "3: fd[") || !strings.HasSuffix(parts[2], "]: OK") {
		t.Errorf("session replies %q", got)
	}
}
