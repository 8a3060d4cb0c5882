package spamd

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// FuzzReadRequest feeds arbitrary bytes to the request parser: it must not
// panic, and a request it accepts has a known method.
func FuzzReadRequest(f *testing.F) {
	f.Add([]byte("CHECK SPAMC/1.5\r\nContent-length: 5\r\nUser: bob\r\n\r\nhello"))
	f.Add([]byte("TELL SPAMC/1.5\r\nMessage-class: spam\r\nSet: local, remote\r\n\r\n"))
	f.Add([]byte("PING SPAMC/1.5\r\n\r\n"))
	f.Add([]byte("REPORT_IFSPAM SPAMC/1.2\r\nCompress: zlib\r\n\r\n"))
	f.Add([]byte("PROCESS SPAMC/1.0\r\n"))
	f.Add([]byte("CHECK SPAMC/1.5\r\nContent-length: 99999999999999999999999\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		known := false
		for _, m := range methods {
			known = known || req.Method == m
		}
		if !known {
			t.Fatalf("accepted unknown method %q", req.Method)
		}
	})
}

// bufConn is a net.Conn that reads a fixed request and records the reply.
type bufConn struct {
	net.Conn // nil; only the methods below are used
	r        *bytes.Reader
	w        bytes.Buffer
}

func (c *bufConn) Read(p []byte) (int, error)      { return c.r.Read(p) }
func (c *bufConn) Write(p []byte) (int, error)     { return c.w.Write(p) }
func (c *bufConn) Close() error                    { return nil }
func (c *bufConn) SetReadDeadline(time.Time) error { return nil }
func (c *bufConn) RemoteAddr() net.Addr            { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// FuzzServeConn runs whole requests through the server: no panic escapes
// and every reply starts with one status line (or is empty, for SKIP).
func FuzzServeConn(f *testing.F) {
	f.Add([]byte("CHECK SPAMC/1.5\r\nContent-length: 5\r\n\r\nhello"))
	f.Add([]byte("SYMBOLS SPAMC/1.5\r\n\r\nVIAGRA"))
	f.Add([]byte("HEADERS SPAMC/1.3\r\nContent-length: 3\r\nCompress: zlib\r\n\r\nabc"))
	f.Add([]byte("TELL SPAMC/1.5\r\nContent-length: 4\r\nRemove: local\r\n\r\nSEEN"))
	s := NewServer(fakeChecker{}, &fakeLearner{}, Options{MaxSize: 1 << 16, Logger: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &bufConn{r: bytes.NewReader(data)}
		s.ServeConn(context.Background(), c)
		out := c.w.String()
		if out != "" && !strings.HasPrefix(out, "SPAMD/1.") {
			t.Fatalf("reply without a status line: %q", out)
		}
	})
}
