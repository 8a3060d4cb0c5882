package clamd

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// TestStalledClientsAreDropped: a session that goes idle, a command never
// terminated and a stream that stops mid-chunk are all closed by the
// server's timeouts, so slow clients cannot hold connections forever.
func TestStalledClientsAreDropped(t *testing.T) {
	ts := startServer(t, ServerOptions{ReadTimeout: 100 * time.Millisecond, IdleTimeout: 100 * time.Millisecond})
	half := binary.BigEndian.AppendUint32([]byte("zINSTREAM\x00"), 1000)
	for _, tt := range []struct {
		name string
		send []byte
		want string
	}{
		{"idle session", []byte("zIDSESSION\x00zPING\x00"), "1: PONG\x00"},
		{"unterminated command", []byte("zPIN"), ""},
		{"stream stops mid-chunk", append(half, "abc"...), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("unix", ts.unix)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// The client's own deadline only bounds the test; the server
			// must close well before it.
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			if _, err := c.Write(tt.send); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("server did not close the connection: %v (got %q)", err, got)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
