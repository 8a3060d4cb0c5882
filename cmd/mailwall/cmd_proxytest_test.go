package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// openConnectProxy tunnels any CONNECT, as a misconfigured proxy does.
func openConnectProxy(t *testing.T) string {
	t.Helper()
	return smtptest.ServeTCP(t, 10*time.Second, func(c net.Conn) {
		r := bufio.NewReader(c)
		f := strings.Fields(func() string { l, _ := r.ReadString('\n'); return l }())
		if len(f) < 2 || f[0] != "CONNECT" {
			io.WriteString(c, "HTTP/1.0 403 Forbidden\r\n\r\n")
			return
		}
		for range 50 {
			if h, err := r.ReadString('\n'); err != nil || strings.TrimSpace(h) == "" {
				break
			}
		}
		up, err := net.DialTimeout("tcp", f[1], 5*time.Second)
		if err != nil {
			return
		}
		defer up.Close()
		io.WriteString(c, "HTTP/1.0 200 Connection established\r\n\r\n")
		go io.Copy(up, r)
		io.Copy(c, up)
	})
}

func TestProxytestCmd(t *testing.T) {
	cmd := newProxytestCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{openConnectProxy(t), "--timeout", "2s"})
	err := cmd.Execute()
	if e, ok := err.(*exitError); !ok || e.code != 1 {
		t.Errorf("exit: %v, want 1", err)
	}
	if !strings.Contains(out.String(), "HTTP CONNECT: OPEN") || !strings.Contains(out.String(), "1 out of 1 hosts are open proxies") {
		t.Errorf("output:\n%s", out.String())
	}
}
