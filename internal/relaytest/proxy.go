package relaytest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// # Proxy probes
//
// Proxy checks whether a host forwards connections to an SMTP port for
// anyone, the way spammers use open proxies. The target is a fake SMTP
// server the tool itself runs on 127.0.0.1, so no outside host is ever
// contacted; a proxy elsewhere cannot reach it, which is the safe answer
// (a proxy on the same host, the case worth auditing locally, can). Each
// method carries a random token; the method is open when the token comes
// back through the proxy in the target's banner, or the target sees it:
//
//	CONNECT   "CONNECT 127.0.0.1:port HTTP/1.0", then a 220 banner
//	POST      "POST http://127.0.0.1:port/ HTTP/1.0" with SMTP lines as body
//	SOCKS4    request CD=1 (connect) to the IPv4 target, reply CD=90
//	SOCKS5    no-auth greeting, CONNECT to the IPv4 target (RFC 1928)

// ProxyResult is one method against one proxy.
type ProxyResult struct {
	Method string
	Open   bool
	Detail string
}

// ProxyReport is the audit of one proxy address.
type ProxyReport struct {
	Addr    string
	Results []ProxyResult
}

// Open reports whether any method went through.
func (r *ProxyReport) Open() bool {
	for _, x := range r.Results {
		if x.Open {
			return true
		}
	}
	return false
}

// ProxyTarget is the fake SMTP server proxies are asked to reach.
type ProxyTarget struct {
	ln   net.Listener
	ap   netip.AddrPort
	mu   sync.Mutex
	seen map[string]bool
	wg   sync.WaitGroup
}

// StartTarget listens on 127.0.0.1:0.
func StartTarget() (*ProxyTarget, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy target: %w", err)
	}
	t := &ProxyTarget{ln: ln, ap: netip.MustParseAddrPort(ln.Addr().String()), seen: map[string]bool{}}
	t.wg.Add(1)
	go t.serve()
	return t, nil
}

// Close stops the target.
func (t *ProxyTarget) Close() { t.ln.Close(); t.wg.Wait() }

func (t *ProxyTarget) serve() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "220 proxytest.invalid ESMTP ready\r\n")
			r := bufio.NewReader(io.LimitReader(c, 64<<10))
			for range 50 {
				l, err := r.ReadString('\n')
				for _, f := range strings.Fields(l) {
					if strings.HasPrefix(f, "mwtoken-") {
						t.mu.Lock()
						t.seen[f] = true
						t.mu.Unlock()
						io.WriteString(c, "250 "+f+"\r\n")
					}
				}
				if err != nil || strings.EqualFold(strings.TrimSpace(l), "QUIT") {
					io.WriteString(c, "221 bye\r\n")
					return
				}
			}
		}()
	}
}

func (t *ProxyTarget) saw(token string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen[token]
}

// Proxy runs the four methods against proxy (host:port).
func Proxy(ctx context.Context, proxy string, t *ProxyTarget, timeout time.Duration) *ProxyReport {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	rep := &ProxyReport{Addr: proxy}
	methods := []struct {
		name string
		run  func(c net.Conn, token string) error
	}{
		{"HTTP CONNECT", t.httpConnect},
		{"HTTP POST", t.httpPost},
		{"SOCKS4", t.socks4},
		{"SOCKS5", t.socks5},
	}
	for _, m := range methods {
		token := newToken()
		res := ProxyResult{Method: m.name}
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, "tcp", proxy)
		if err != nil {
			res.Detail = "connect: " + err.Error()
			rep.Results = append(rep.Results, res)
			continue
		}
		c.SetDeadline(time.Now().Add(timeout))
		err = m.run(c, token)
		c.Close()
		res.Open = t.saw(token)
		switch {
		case res.Open:
			res.Detail = "reached the SMTP target through the proxy"
		case err != nil:
			res.Detail = err.Error()
		default:
			res.Detail = "refused"
		}
		rep.Results = append(rep.Results, res)
	}
	return rep
}

func newToken() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "mwtoken-" + hex.EncodeToString(b)
}

// afterTunnel speaks SMTP through an established tunnel so the target can
// see the token.
func afterTunnel(c net.Conn, r *bufio.Reader, token string) error {
	l, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("no banner through tunnel: %w", err)
	}
	if !strings.HasPrefix(l, "220 ") {
		return fmt.Errorf("unexpected banner %q", strings.TrimSpace(l))
	}
	if _, err := io.WriteString(c, "HELO "+token+"\r\n"); err != nil {
		return err
	}
	_, err = r.ReadString('\n') // the target's echo; it has recorded the token
	return err
}

func (t *ProxyTarget) httpConnect(c net.Conn, token string) error {
	fmt.Fprintf(c, "CONNECT %s HTTP/1.0\r\n\r\n", t.ap)
	r := bufio.NewReader(c)
	status, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("no reply: %w", err)
	}
	f := strings.Fields(status)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") || f[1] != "200" {
		return fmt.Errorf("refused: %s", strings.TrimSpace(status))
	}
	for range 100 { // skip headers
		h, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.TrimSpace(h) == "" {
			break
		}
	}
	return afterTunnel(c, r, token)
}

func (t *ProxyTarget) httpPost(c net.Conn, token string) error {
	body := "HELO " + token + "\r\nQUIT\r\n"
	fmt.Fprintf(c, "POST http://%s/ HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", t.ap, len(body), body)
	b, _ := io.ReadAll(io.LimitReader(c, 16<<10))
	if s := string(b); s != "" && !strings.Contains(s, token) {
		first, _, _ := strings.Cut(s, "\n")
		return fmt.Errorf("refused: %s", strings.TrimSpace(first))
	}
	return nil
}

func (t *ProxyTarget) socks4(c net.Conn, token string) error {
	ip := t.ap.Addr().As4()
	req := []byte{4, 1, 0, 0}
	binary.BigEndian.PutUint16(req[2:], t.ap.Port())
	req = append(req, ip[:]...)
	req = append(req, "mwtest"...)
	req = append(req, 0)
	if _, err := c.Write(req); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	resp := make([]byte, 8)
	if _, err := io.ReadFull(r, resp); err != nil {
		return fmt.Errorf("no SOCKS4 reply: %w", err)
	}
	if resp[1] != 90 {
		return fmt.Errorf("refused: SOCKS4 code %d", resp[1])
	}
	return afterTunnel(c, r, token)
}

func (t *ProxyTarget) socks5(c net.Conn, token string) error {
	if _, err := c.Write([]byte{5, 1, 0}); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	g := make([]byte, 2)
	if _, err := io.ReadFull(r, g); err != nil {
		return fmt.Errorf("no SOCKS5 reply: %w", err)
	}
	if g[0] != 5 || g[1] != 0 {
		return fmt.Errorf("refused: SOCKS5 method %d", g[1])
	}
	ip := t.ap.Addr().As4()
	req := append([]byte{5, 1, 0, 1}, ip[:]...)
	req = binary.BigEndian.AppendUint16(req, t.ap.Port())
	if _, err := c.Write(req); err != nil {
		return err
	}
	resp := make([]byte, 10) // VER REP RSV ATYP=1 BND.ADDR(4) BND.PORT(2)
	if _, err := io.ReadFull(r, resp[:4]); err != nil {
		return fmt.Errorf("no SOCKS5 connect reply: %w", err)
	}
	if resp[1] != 0 {
		return fmt.Errorf("refused: SOCKS5 reply %d", resp[1])
	}
	skip := map[byte]int{1: 6, 4: 18}[resp[3]]
	if resp[3] == 3 {
		n, err := r.ReadByte()
		if err != nil {
			return err
		}
		skip = int(n) + 2
	}
	if _, err := io.ReadFull(r, make([]byte, skip)); err != nil {
		return err
	}
	return afterTunnel(c, r, token)
}

// WriteProxyReport prints one line per method and a verdict.
func WriteProxyReport(w io.Writer, r *ProxyReport) {
	for _, x := range r.Results {
		v := "closed"
		if x.Open {
			v = "OPEN"
		}
		fmt.Fprintf(w, "%s %s: %s (%s)\n", r.Addr, x.Method, v, x.Detail)
	}
	if r.Open() {
		fmt.Fprintf(w, "%s: OPEN PROXY\n", r.Addr)
	} else {
		fmt.Fprintf(w, "%s: not an open proxy\n", r.Addr)
	}
}
