package smtpd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"mailwall/internal/envelope"
	"mailwall/internal/gateway"
	"mailwall/internal/smtp"
)

// listener wraps a net.Listener. Its own accept loop admits each client
// before go-smtp sees it: the total and per-IP connection limits, the
// early-talker check and the connection policy (DNSBL...) run there, one
// goroutine per client, so a slow DNS look-up never holds up the others.
// Admitted connections are handed to go-smtp through Accept.
type listener struct {
	net.Listener
	srv    *Server
	name   string
	conns  chan net.Conn
	done   chan struct{}
	closed sync.Once
}

func (s *Server) wrap(l net.Listener, name string) *listener {
	ln := &listener{Listener: l, srv: s, name: name, conns: make(chan net.Conn), done: make(chan struct{})}
	go ln.loop()
	return ln
}

func (ln *listener) Accept() (net.Conn, error) {
	select {
	case c := <-ln.conns:
		return c, nil
	case <-ln.done:
		return nil, net.ErrClosed
	}
}

func (ln *listener) Close() error {
	ln.closed.Do(func() { close(ln.done) })
	return ln.Listener.Close()
}

func (ln *listener) loop() {
	for {
		raw, err := ln.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			ln.Close()
			return
		}
		go ln.admit(raw)
	}
}

// admit runs the checks for one new client and hands it on, or answers
// and closes.
func (ln *listener) admit(raw net.Conn) {
	s := ln.srv
	ip := addrPort(raw.RemoteAddr()).Addr().Unmap()
	if err := s.limits.acquire(ip); err != nil {
		s.log.Info("connection refused", "client", ip, "reason", err.Reason)
		reply(raw, err)
		raw.Close()
		return
	}
	c := &conn{Conn: raw, srv: s, ip: ip}
	if s.opts.GreetDelay > 0 && earlyTalker(raw, s.opts.GreetDelay) {
		reply(raw, smtp.New(554, smtp.EnhancedCode{5, 5, 1}, smtp.ReasonEarlyTalker, "Protocol error: talking before the greeting"))
		c.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CommandTimeout)
	c.sess = s.gw().NewSession(&envelope.Conn{
		ID:         newConnID(),
		RemoteAddr: addrPort(raw.RemoteAddr()),
		LocalAddr:  addrPort(raw.LocalAddr()),
		Hostname:   confirmedName(ctx, s.opts.Resolver, ip, s.opts.DNSTimeout),
		Listener:   ln.name,
		Started:    time.Now(),
	})
	err := c.sess.Connect(ctx)
	cancel()
	if err != nil {
		reply(raw, err)
		c.Close()
		return
	}
	select {
	case ln.conns <- c:
	case <-ln.done:
		reply(raw, smtp.ErrShutdown)
		c.Close()
	}
}

// earlyTalker waits d for the client to send anything before our greeting.
// QUIRK: a client that sends first is almost always a spam bot that does
// not wait for the banner (Postfix postscreen's pregreet test).
func earlyTalker(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	var b [1]byte
	n, _ := c.Read(b[:])
	c.SetReadDeadline(time.Time{})
	return n > 0
}

func reply(c net.Conn, err error) {
	e := smtp.As(err)
	if e == nil {
		e = smtp.ErrTempLocal
	}
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%d %s %s\r\n", e.Code, e.Enhanced, smtp.Sanitize(e.Text))
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPortFrom(netip.IPv6Loopback(), 0) // unix socket: local
}

var connSeq atomic.Uint64

func newConnID() string {
	return fmt.Sprintf("c%x-%d", time.Now().Unix(), connSeq.Add(1))
}

// conn is an admitted client connection.
type conn struct {
	net.Conn
	srv       *Server
	ip        netip.Addr
	sess      *gateway.Session
	first     bool // first read done
	hidden    hiddenCR
	sawHidden atomic.Bool // hidden.found, readable from the session goroutine
	dropAfter atomic.Bool
	closeOnce sync.Once
}

// Read drops a client that speaks HTTP (a browser or proxy probe aimed at
// the SMTP port) on its first line, instead of answering each header line.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.hidden.found {
		c.hidden.scan(p[:n])
		if c.hidden.found {
			c.sawHidden.Store(true)
		}
	}
	if !c.first && n > 0 {
		c.first = true
		if looksLikeHTTP(p[:n]) {
			c.srv.log.Info("HTTP request on SMTP port, dropped", "client", c.ip)
			c.Close()
			return 0, net.ErrClosed
		}
	}
	return n, err
}

// Write closes the connection after a reply when the session asked to
// drop the client (too many errors): the reply is still delivered.
func (c *conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.dropAfter.Load() && bytes.HasSuffix(p[:n], []byte("\r\n")) {
		c.Close()
	}
	return n, err
}

func (c *conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		err = c.Conn.Close()
		c.srv.limits.release(c.ip)
		if c.sess != nil {
			c.sess.Close()
		}
	})
	return err
}

func looksLikeHTTP(b []byte) bool {
	for _, m := range []string{"GET ", "POST ", "HEAD ", "PUT ", "CONNECT ", "OPTIONS "} {
		if bytes.HasPrefix(b, []byte(m)) {
			return true
		}
	}
	return false
}

// unwrap finds our conn under a TLS connection.
func unwrap(nc net.Conn) *conn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, _ := nc.(*conn)
	return c
}

// connLimits counts connections in total and per client IP.
type connLimits struct {
	mu                        sync.Mutex
	total, maxTotal, maxPerIP int
	perIP                     map[netip.Addr]int
}

func (l *connLimits) acquire(ip netip.Addr) *smtp.Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxTotal > 0 && l.total >= l.maxTotal {
		return smtp.New(421, smtp.EnhancedCode{4, 3, 2}, smtp.ReasonTooManyConns, "Too many connections, try again later")
	}
	if l.maxPerIP > 0 && l.perIP[ip] >= l.maxPerIP {
		return smtp.New(421, smtp.EnhancedCode{4, 7, 0}, smtp.ReasonTooManyConns, "Too many connections from your address, try again later")
	}
	l.total++
	l.perIP[ip]++
	return nil
}

func (l *connLimits) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip] <= 1 {
		delete(l.perIP, ip)
	} else {
		l.perIP[ip]--
	}
}
