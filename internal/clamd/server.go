package clamd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Scanner is the engine behind the server.
//
// Its methods may be called concurrently from many connections. ScanReader
// must read r only until it returns; the server owns r and drains what is
// left. Names are signature names ("Eicar-Test-Signature"); none means clean.
// An error is reported to the client as "<object>: <error> ERROR".
type Scanner interface {
	// ScanReader scans one stream (INSTREAM, FILDES).
	ScanReader(ctx context.Context, r io.Reader) (names []string, err error)
	// ScanFile scans the regular file at path; all asks for every
	// matching signature instead of the first (ALLMATCHSCAN).
	ScanFile(ctx context.Context, path string, all bool) (names []string, err error)
	// Version is the VERSION reply, e.g. "ClamAV 1.4.6/27467/Mon Nov 23
	// 09:40:00 2026" (see FormatVersion).
	Version() string
	// Reload loads the databases again and swaps them in; scans in flight
	// finish on the old ones. It runs in the background after RELOAD.
	Reload() error
}

// ServerOptions tune a Server; zero values mean clamd's defaults.
type ServerOptions struct {
	// StreamMaxLength caps one INSTREAM (clamd StreamMaxLength, 100 MB).
	StreamMaxLength int64
	// MaxConnections served at once (clamd MaxThreads, 10); more wait in
	// the listen backlog.
	MaxConnections int
	// ReadTimeout for a command or a stream chunk (clamd ReadTimeout, 120 s).
	ReadTimeout time.Duration
	// IdleTimeout between commands of a session (clamd IdleTimeout, 30 s).
	IdleTimeout time.Duration
	// AllowShutdown lets SHUTDOWN stop the server; otherwise it is answered
	// "COMMAND UNAVAILABLE".
	AllowShutdown bool
	// OnShutdown, if set, is called once after an allowed SHUTDOWN closed
	// the server (e.g. to stop the whole process).
	OnShutdown func()
	// Log receives connection errors and reload results; nil = discard.
	Log *slog.Logger
}

// Server answers the clamd protocol on any number of listeners.
type Server struct {
	scanner Scanner
	opt     ServerOptions
	sem     chan struct{}
	start   time.Time
	// base is cancelled by Close, ending the scans in flight.
	base   context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	closed    bool
	shutdown  sync.Once
	wg        sync.WaitGroup

	live    atomic.Int64 // connections being served
	scanned atomic.Int64 // objects scanned, for STATS
}

// NewServer returns a server over s.
func NewServer(s Scanner, o ServerOptions) *Server {
	if o.StreamMaxLength <= 0 {
		o.StreamMaxLength = 100 << 20
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = 10
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 120 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	base, cancel := context.WithCancel(context.Background())
	return &Server{
		base:      base,
		cancel:    cancel,
		scanner:   s,
		opt:       o,
		sem:       make(chan struct{}, o.MaxConnections),
		start:     time.Now(),
		listeners: map[net.Listener]struct{}{},
		conns:     map[net.Conn]struct{}{},
	}
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("clamd: server closed")

// Serve accepts connections on l until ctx is done or Close is called; it
// then closes l and returns ErrServerClosed (or ctx's error). Serve may be
// called for several listeners at once (TCP and unix).
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	for {
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		c, err := l.Accept()
		if err != nil {
			<-s.sem
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		if !s.track(c) {
			c.Close()
			<-s.sem
			return ErrServerClosed
		}
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			defer s.untrack(c)
			s.serveConn(ctx, c)
		}()
	}
}

// Close stops every listener, closes every connection, cancels the scans
// in flight and waits for the handlers to return.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.cancel()
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.live.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	c.Close()
	s.live.Add(-1)
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// doShutdown closes the server from inside a handler (SHUTDOWN).
func (s *Server) doShutdown() {
	s.shutdown.Do(func() {
		go func() {
			s.Close()
			if s.opt.OnShutdown != nil {
				s.opt.OnShutdown()
			}
		}()
	})
}

// reload runs Reload in the background and logs the outcome.
func (s *Server) reload() {
	go func() {
		if err := s.scanner.Reload(); err != nil {
			s.opt.Log.Error("clamd: reload failed", "err", err)
			return
		}
		s.opt.Log.Info("clamd: databases reloaded", "version", s.scanner.Version())
	}()
}
