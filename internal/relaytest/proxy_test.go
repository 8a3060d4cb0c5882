package relaytest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// fakeProxy serves handle on 127.0.0.1:0.
func fakeProxy(t *testing.T, handle func(c net.Conn)) string {
	return smtptest.ServeTCP(t, 10*time.Second, handle)
}

// pipe joins a client and an upstream connection until either closes.
func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	go func() { io.Copy(a, b); done <- struct{}{} }()
	go func() { io.Copy(b, a); done <- struct{}{} }()
	<-done
}

// openConnect is an open HTTP CONNECT proxy: it tunnels to any host:port.
func openConnect(c net.Conn) {
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) < 2 || f[0] != "CONNECT" {
		io.WriteString(c, "HTTP/1.0 405 Method Not Allowed\r\n\r\n")
		return
	}
	for range 100 {
		if h, err := r.ReadString('\n'); err != nil || strings.TrimSpace(h) == "" {
			break
		}
	}
	up, err := net.DialTimeout("tcp", f[1], 5*time.Second)
	if err != nil {
		io.WriteString(c, "HTTP/1.0 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.0 200 Connection established\r\nProxy-Agent: test\r\n\r\n")
	pipe(&bufConn{c, r}, up)
}

// openSocks5 is an open SOCKS5 proxy (no auth, IPv4 CONNECT only).
func openSocks5(c net.Conn) {
	r := bufio.NewReader(c)
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(r, hdr); err != nil || hdr[0] != 5 {
		return
	}
	io.ReadFull(r, make([]byte, hdr[1]))
	c.Write([]byte{5, 0})
	req := make([]byte, 10)
	if _, err := io.ReadFull(r, req); err != nil || req[1] != 1 || req[3] != 1 {
		c.Write([]byte{5, 7, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte(req[4:8])), binary.BigEndian.Uint16(req[8:]))
	up, err := net.DialTimeout("tcp", ap.String(), 5*time.Second)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	pipe(&bufConn{c, r}, up)
}

// openForward is a naive HTTP forward proxy: it passes any absolute-URI
// request, headers and body to the host in the URL and copies the answer
// back, whatever port that is.
func openForward(c net.Conn) {
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) < 3 || !strings.HasPrefix(f[1], "http://") {
		io.WriteString(c, "HTTP/1.0 400 Bad Request\r\n\r\n")
		return
	}
	host, path, _ := strings.Cut(strings.TrimPrefix(f[1], "http://"), "/")
	up, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		io.WriteString(c, "HTTP/1.0 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(up, f[0]+" /"+path+" "+f[2]+"\r\n")
	pipe(&bufConn{c, r}, up)
}

// openSocks4 is an open SOCKS4 proxy.
func openSocks4(c net.Conn) {
	r := bufio.NewReader(c)
	req := make([]byte, 8)
	if _, err := io.ReadFull(r, req); err != nil || req[0] != 4 || req[1] != 1 {
		return
	}
	if _, err := r.ReadString(0); err != nil { // user ID
		return
	}
	ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte(req[4:8])), binary.BigEndian.Uint16(req[2:4]))
	up, err := net.DialTimeout("tcp", ap.String(), 5*time.Second)
	if err != nil {
		c.Write([]byte{0, 91, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	c.Write([]byte{0, 90, 0, 0, 0, 0, 0, 0})
	pipe(&bufConn{c, r}, up)
}

// closedProxy refuses everything, as a configured proxy should.
func closedProxy(c net.Conn) {
	bufio.NewReader(c).ReadString('\n')
	io.WriteString(c, "HTTP/1.0 403 Forbidden\r\n\r\n")
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func TestProxy(t *testing.T) {
	target, err := StartTarget()
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	tests := []struct {
		name   string
		handle func(net.Conn)
		open   []string
	}{
		{"open CONNECT", openConnect, []string{"HTTP CONNECT"}},
		{"open SOCKS5", openSocks5, []string{"SOCKS5"}},
		{"open forward (POST)", openForward, []string{"HTTP POST"}},
		{"open SOCKS4", openSocks4, []string{"SOCKS4"}},
		{"closed", closedProxy, nil},
	}
	for _, tt := range tests {
		addr := fakeProxy(t, tt.handle)
		rep := Proxy(context.Background(), addr, target, 2*time.Second)
		var out bytes.Buffer
		WriteProxyReport(&out, rep)
		var open []string
		for _, r := range rep.Results {
			if r.Open {
				open = append(open, r.Method)
			}
		}
		if strings.Join(open, ",") != strings.Join(tt.open, ",") || rep.Open() != (len(tt.open) > 0) {
			t.Errorf("%s: open methods %v, want %v\n%s", tt.name, open, tt.open, out.String())
		}
		if len(rep.Results) != 4 {
			t.Errorf("%s: %d methods, want 4", tt.name, len(rep.Results))
		}
	}
}
