// Package milter is the milter front end: Postfix or Sendmail call it over
// the milter protocol (as they call clamav-milter and spamass-milter), and
// it runs the same gateway pipeline as the SMTP front end, but the MTA
// keeps the message: mailwall has no queue here. Verdicts become milter
// replies: reject and tempfail with their SMTP reply, discard, quarantine
// (the MTA's hold queue), or accept with the scanners' headers added.
//
// The wire protocol (negotiation, macros, body chunks) is d--j/go-milter's.
package milter

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	gomilter "github.com/d--j/go-milter"

	"mailwall/internal/gateway"
)

// Options configure the milter server.
type Options struct {
	Hostname string
	// Timeout for each milter command (the MTA's own timeouts are shorter
	// than the scan timeout for the end of message: Postfix
	// milter_content_timeout is 300 s).
	Timeout time.Duration
	Log     *slog.Logger
}

// Server serves the milter protocol.
type Server struct {
	opts    Options
	gateway atomic.Pointer[gateway.Gateway]
	srv     *gomilter.Server
}

// New returns a server over gw.
func New(o Options, gw *gateway.Gateway) *Server {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	s := &Server{opts: o}
	s.gateway.Store(gw)
	s.srv = gomilter.NewServer(
		gomilter.WithMilter(func() gomilter.Milter { return &session{srv: s} }),
		gomilter.WithActions(gomilter.OptAddHeader|gomilter.OptChangeHeader|gomilter.OptQuarantine),
		gomilter.WithProtocols(gomilter.OptNoUnknown),
		gomilter.WithReadTimeout(o.Timeout),
		gomilter.WithWriteTimeout(o.Timeout),
		// No macro requests (SMFIF_SETSYMLIST): Postfix's default
		// milter_*_macros already send {auth_authen} and {tls_version}.
	)
	return s
}

// SetGateway swaps the pipeline (config reload).
func (s *Server) SetGateway(gw *gateway.Gateway) { s.gateway.Store(gw) }

// Serve serves l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, gomilter.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for sessions until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// clientAddr turns the Connect callback's data into an address.
func clientAddr(family, addr string, port uint16) netip.AddrPort {
	if family == "tcp4" || family == "tcp6" {
		if a, err := netip.ParseAddr(addr); err == nil {
			return netip.AddrPortFrom(a, port)
		}
	}
	return netip.AddrPortFrom(netip.IPv6Loopback(), 0) // unix socket or unknown: local
}

func itoa(n uint16) string { return strconv.Itoa(int(n)) }
