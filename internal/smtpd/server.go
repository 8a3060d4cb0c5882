// Package smtpd is the inbound SMTP front end, on emersion/go-smtp. It
// speaks the protocol (EHLO extensions, STARTTLS, AUTH, limits, strict line
// endings) and hands each transaction to the gateway, which runs the
// pipeline. Everything that decides lives in the gateway and below.
package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"mailwall/internal/gateway"
)

// Options configure the front end.
type Options struct {
	Hostname            string
	MaxMessageSize      int64
	MaxRecipients       int
	MaxConnections      int
	MaxConnectionsPerIP int
	CommandTimeout      time.Duration
	DataTimeout         time.Duration
	GreetDelay          time.Duration // >0: refuse clients that talk first
	NormalizeBareLF     bool          // else refuse bare CR/LF with 550
	TLS                 *tls.Config   // nil: no STARTTLS
	// AuthWithoutTLS allows AUTH before STARTTLS from loopback clients.
	AuthWithoutTLS bool
	// Resolver finds the client's confirmed host name (FCrDNS) before the
	// connection policy runs; nil skips the look-up.
	Resolver Resolver
	// DNSTimeout bounds that look-up; default 5s.
	DNSTimeout time.Duration
	Log        *slog.Logger
}

// Server serves SMTP on any number of listeners.
type Server struct {
	opts    Options
	log     *slog.Logger
	limits  *connLimits
	gateway atomic.Pointer[gateway.Gateway]

	mu      sync.Mutex
	servers []*gosmtp.Server
	wg      sync.WaitGroup
}

// New returns a Server using gw for every transaction.
func New(o Options, gw *gateway.Gateway) *Server {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 5 * time.Minute
	}
	if o.DNSTimeout <= 0 {
		o.DNSTimeout = 5 * time.Second
	}
	if o.DataTimeout <= 0 {
		o.DataTimeout = 3 * time.Minute
	}
	s := &Server{opts: o, log: o.Log,
		limits: &connLimits{maxTotal: o.MaxConnections, maxPerIP: o.MaxConnectionsPerIP, perIP: map[netip.Addr]int{}}}
	s.gateway.Store(gw)
	return s
}

// SetGateway swaps the pipeline (config reload). Sessions that already
// started keep the gateway they began with.
func (s *Server) SetGateway(gw *gateway.Gateway) { s.gateway.Store(gw) }

func (s *Server) gw() *gateway.Gateway { return s.gateway.Load() }

// Serve serves l until Shutdown. name labels the listener ("smtp",
// "submission"); submission listeners require AUTH before MAIL.
func (s *Server) Serve(l net.Listener, name string) error {
	srv := gosmtp.NewServer(backend{s: s, submission: name == "submission"})
	srv.Domain = s.opts.Hostname
	srv.MaxMessageBytes = s.opts.MaxMessageSize
	srv.MaxRecipients = s.opts.MaxRecipients
	srv.ReadTimeout = s.opts.CommandTimeout
	srv.WriteTimeout = s.opts.CommandTimeout
	srv.TLSConfig = s.opts.TLS
	srv.EnableSMTPUTF8 = true
	// QUIRK: RFC 5321 4.5.3.1.6 allows 1000-octet lines, but real mail
	// (badly encoded HTML) often has longer ones and Postfix accepts them;
	// 64 KiB keeps such mail while bounding each connection's line buffer.
	srv.MaxLineLength = 64 << 10
	// AUTH before TLS is policed per session (loopback exception), so
	// go-smtp's global switch is on and Session.AuthMechanisms decides.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.mu.Lock()
	s.servers = append(s.servers, srv)
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	err := srv.Serve(s.wrap(l, name))
	if errors.Is(err, gosmtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting, then waits for sessions in flight until ctx
// ends; past that it closes them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	servers := append([]*gosmtp.Server(nil), s.servers...)
	s.mu.Unlock()
	var first error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, gosmtp.ErrServerClosed) && first == nil {
			first = err
		}
	}
	return first
}
