package clamd

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestClient(t *testing.T) {
	ts := startServer(t, ServerOptions{StreamMaxLength: 100 << 10})
	ctx := context.Background()
	for _, addr := range []string{ts.tcp, "unix:" + ts.unix, ts.unix} {
		t.Run(addr, func(t *testing.T) {
			c := NewClient(addr)
			c.ChunkSize = 1000
			if err := c.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			v, err := c.Version(ctx)
			if err != nil || v != ts.fake.Version() {
				t.Fatalf("Version = %q, %v", v, err)
			}
			tests := []struct {
				name    string
				data    []byte
				want    string
				wantErr string
			}{
				{"clean", []byte("hello"), "", ""},
				{"empty", nil, "", ""},
				{"found", []byte(strings.Repeat("x", 5000) + eicar), "Eicar-Test-Signature", ""},
				{"engine error", []byte("BROKEN"), "", "stream: Can't parse data ERROR"},
				{"over limit", make([]byte, 200<<10), "", "INSTREAM size limit exceeded. ERROR"},
			}
			for _, tt := range tests {
				names, err := c.Instream(ctx, bytes.NewReader(tt.data))
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", tt.name, err)
					continue
				}
				if got := strings.Join(names, ","); got != tt.want {
					t.Errorf("%s: names = %q, want %q", tt.name, got, tt.want)
				}
			}
		})
	}
}

func TestClientDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := NewClient(addr)
	if _, err := c.Instream(context.Background(), strings.NewReader("x")); err == nil {
		t.Fatal("Instream to a closed port succeeded")
	}
}

// TestClientCancel: a server that never answers is abandoned when ctx ends.
func TestClientCancel(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			defer c.Close()
			buf := make([]byte, 1024)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = NewClient(l.Addr().String()).Instream(ctx, strings.NewReader("x"))
	var ne net.Error
	if err == nil || !errors.As(err, &ne) {
		t.Fatalf("err = %v, want a network timeout", err)
	}
}

func TestShutdown(t *testing.T) {
	ts := startServer(t, ServerOptions{AllowShutdown: true})
	if got := talk(t, "unix", ts.unix, []byte("zSHUTDOWN\x00")); got != "" {
		t.Errorf("SHUTDOWN replied %q, want nothing", got)
	}
	for range 2 {
		select {
		case err := <-ts.serveErrCh:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve = %v, want ErrServerClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after SHUTDOWN")
		}
	}
	select {
	case <-ts.shutdowns:
	case <-time.After(10 * time.Second):
		t.Fatal("OnShutdown not called")
	}
}
