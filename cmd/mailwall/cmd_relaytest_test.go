package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"mailwall/internal/relaytest"
	"mailwall/internal/smtptest"
)

// openSink accepts every command with 250 (DATA excepted).
func openSink(t *testing.T) string {
	t.Helper()
	return smtptest.ServeTCP(t, 20*time.Second, func(c net.Conn) {
		io.WriteString(c, "220 sink.example.test ESMTP\r\n")
		r := bufio.NewReader(c)
		for range 500 {
			l, err := r.ReadString('\n')
			if err != nil || strings.HasPrefix(strings.ToUpper(l), "QUIT") {
				return
			}
			io.WriteString(c, "250 ok\r\n")
		}
	})
}

func TestRelaytestCmdExit(t *testing.T) {
	var out bytes.Buffer
	closed, _ := net.Listen("tcp", "127.0.0.1:0") // nothing answers: "not tested"
	closedAddr := closed.Addr().String()
	closed.Close()
	hosts := []string{openSink(t), closedAddr, openSink(t)}
	err := runRelaytest(t.Context(), &out, hosts, relaytest.Options{Timeout: 5 * time.Second})
	if e, ok := err.(*exitError); !ok || e.code != 1 {
		t.Errorf("exit: %v, want 1", err)
	}
	if i, j := strings.Index(out.String(), hosts[1]+": not tested"), strings.Index(out.String(), hosts[2]+": 220"); i < 0 || j < i {
		t.Errorf("reports not in the order given:\n%s", out.String())
	}
	if !strings.HasSuffix(out.String(), "Finished scanning. 2 out of 3 hosts will relay.\n") {
		t.Errorf("output:\n%s", out.String())
	}
	if withPort("mx.example.test", "25") != "mx.example.test:25" || withPort("[::1]", "25") != "[::1]:25" ||
		withPort("127.0.0.1:2525", "25") != "127.0.0.1:2525" {
		t.Errorf("withPort")
	}
}
