package smtptest

import (
	"net"
	"testing"
	"time"
)

// ServeTCP runs handle for every connection to a new 127.0.0.1 listener,
// each connection closed after handle returns or after timeout, and
// returns the listener's address. The listener is closed, and its accept
// loop waited for, when the test ends.
func ServeTCP(t testing.TB, timeout time.Duration, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(timeout))
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}
