package spamd

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Server answers spamd requests on a listener.
type Server struct {
	c Checker
	l Learner
	o Options
}

// NewServer returns a Server that scores with c and learns with l; a nil l
// refuses TELL as spamd without --allow-tell does.
func NewServer(c Checker, l Learner, o Options) *Server {
	o.setDefaults()
	return &Server{c: c, l: l, o: o}
}

// Serve accepts connections on ln until ctx ends, then closes ln, waits for
// the requests in progress and returns nil. It returns the listener's
// error if Accept fails for another reason.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	sem := make(chan struct{}, s.o.MaxConns)
	conns := make(chan net.Conn)
	workers := 0
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		conn, err := ln.Accept()
		if err != nil {
			<-sem
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("spamd: accept: %w", err)
		}
		// an idle worker takes the connection; otherwise a new one starts
		// (at most MaxConns, as sem holds one token per connection)
		select {
		case conns <- conn:
			continue
		default:
		}
		if workers >= s.o.MaxConns {
			// every worker exists and one is about to be free (this
			// connection holds one of the MaxConns tokens)
			select {
			case conns <- conn:
			case <-ctx.Done():
				conn.Close()
				<-sem
			}
			continue
		}
		workers++
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.worker(ctx, conn, conns, sem)
		}()
	}
}

// worker serves conn and then, until ctx ends, the connections handed
// to it on conns. Workers are kept rather than started per connection:
// the rule engine's deep recursion grows a goroutine's stack, and a kept
// goroutine does not grow it again for every message.
func (s *Server) worker(ctx context.Context, conn net.Conn, conns <-chan net.Conn, sem <-chan struct{}) {
	for {
		s.ServeConn(ctx, conn)
		<-sem
		select {
		case conn = <-conns:
		case <-ctx.Done():
			return
		}
	}
}

// ServeConn answers the one request on conn and closes it.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	start := time.Now()
	w := bufio.NewWriter(conn)
	defer w.Flush()
	defer func() {
		if p := recover(); p != nil {
			s.o.Logger.Error("spamd: panic", "remote", conn.RemoteAddr().String(), "panic", p, "stack", string(debug.Stack()))
			fmt.Fprintf(w, "SPAMD/1.0 %d EX_SOFTWARE\r\n", exSoftware)
		}
	}()
	conn.SetReadDeadline(start.Add(s.o.ReadTimeout))
	r := bufio.NewReader(conn)
	req, err := ReadRequest(r)
	if err != nil {
		s.readFailed(w, err)
		return
	}
	switch req.Method {
	case MethodPing:
		fmt.Fprintf(w, "SPAMD/1.5 %d PONG\r\n", exOK)
		return
	case MethodSkip:
		return
	case MethodTell:
		if s.l == nil {
			unavailable(w, "TELL commands are not enabled, set the --allow-tell switch.")
			return
		}
		if req.SetLocal && req.RemoveLocal {
			protocolErr(w, "Unable to set local and remove local in the same operation.")
			return
		}
		if req.SetRemote && req.RemoveRemote {
			protocolErr(w, "Unable to set remote and remove remote in the same operation.")
			return
		}
	}
	msg, err := s.readBody(r, req)
	if err != nil {
		s.readFailed(w, err)
		return
	}
	conn.SetReadDeadline(time.Time{})
	cctx, cancel := context.WithTimeout(ctx, s.o.CheckTimeout)
	defer cancel()
	if req.Method == MethodTell {
		s.tell(cctx, w, req, msg)
		return
	}
	v, err := s.c.Check(cctx, msg, req.User)
	if err != nil || v == nil {
		s.checkFailed(cctx, w, req, err)
		return
	}
	writeVerdict(w, req, v, msg)
	if !s.o.Logger.Enabled(ctx, slog.LevelInfo) {
		return
	}
	s.o.Logger.Info("spamd: result", "method", req.Method, "user", req.User, "spam", v.IsSpam,
		"score", fmt.Sprintf("%.1f", v.Score), "required", fmt.Sprintf("%.1f", v.Threshold),
		"tests", strings.Join(sortedSymbols(v.Symbols), ","), "size", len(msg),
		"remote", conn.RemoteAddr().String(), "elapsed", time.Since(start))
}

// bodyError is answered EX_UNAVAILABLE ("Service Unavailable: <text>").
type bodyError struct{ text string }

func (e *bodyError) Error() string { return "spamd: " + e.text }

// readBody reads the message as Content-length, Compress and MaxSize say.
func (s *Server) readBody(r *bufio.Reader, req *Request) ([]byte, error) {
	if req.Compress && req.ContentLength < 0 {
		return nil, &bodyError{"Compress requires Content-length header"}
	}
	limit := s.o.MaxSize
	if req.ContentLength > limit && !req.Compress {
		return nil, &bodyError{fmt.Sprintf("message larger than %d bytes", limit)}
	}
	var src io.Reader = r
	if req.ContentLength >= 0 {
		src = io.LimitReader(r, req.ContentLength)
	}
	if req.Compress {
		raw, err := io.ReadAll(io.LimitReader(src, limit+1))
		if err != nil {
			return nil, err
		}
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, &bodyError{fmt.Sprintf("zlib: inflateInit failed: %v", err)}
		}
		msg, err := io.ReadAll(io.LimitReader(zr, limit+1))
		if err != nil {
			return nil, &bodyError{"zlib: failed to find end of zlib stream"}
		}
		if int64(len(msg)) > limit {
			return nil, &bodyError{fmt.Sprintf("message larger than %d bytes", limit)}
		}
		return msg, nil
	}
	msg, err := io.ReadAll(io.LimitReader(src, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(msg)) > limit {
		return nil, &bodyError{fmt.Sprintf("message larger than %d bytes", limit)}
	}
	if req.ContentLength >= 0 && int64(len(msg)) != req.ContentLength {
		return nil, &protocolError{fmt.Sprintf("(Content-Length mismatch: Expected %d bytes, got %d bytes)", req.ContentLength, len(msg))}
	}
	return msg, nil
}

// readFailed answers a request that could not be read.
func (s *Server) readFailed(w io.Writer, err error) {
	var pe *protocolError
	var be *bodyError
	switch {
	case errors.As(err, &pe):
		protocolErr(w, pe.text)
	case errors.As(err, &be):
		unavailable(w, be.text)
	case errors.Is(err, os.ErrDeadlineExceeded):
		fmt.Fprintf(w, "SPAMD/1.0 %d Timeout: (%d second socket timeout reading input from client)\r\n",
			exTimeout, int(s.o.ReadTimeout.Seconds()))
	}
	s.o.Logger.Warn("spamd: bad request", "err", err)
}

func (s *Server) checkFailed(ctx context.Context, w io.Writer, req *Request, err error) {
	if ctx.Err() != nil {
		fmt.Fprintf(w, "SPAMD/1.0 %d Timeout: (%d second timeout while trying to %s)\r\n",
			exTimeout, int(s.o.CheckTimeout.Seconds()), req.Method)
	} else {
		// The cause goes to the log, never to the client.
		fmt.Fprintf(w, "SPAMD/1.0 %d EX_SOFTWARE\r\n", exSoftware)
	}
	s.o.Logger.Error("spamd: check failed", "method", req.Method, "err", err)
}

// tell learns or forgets msg and answers which it did.
func (s *Server) tell(ctx context.Context, w io.Writer, req *Request, msg []byte) {
	var did []string
	for _, op := range []struct {
		want, forget bool
		header       string
	}{{req.SetLocal, false, "DidSet"}, {req.RemoveLocal, true, "DidRemove"}} {
		if !op.want {
			continue
		}
		err := s.l.Learn(ctx, msg, strings.EqualFold(req.MessageClass, "spam"), op.forget)
		switch {
		case err == nil:
			did = append(did, op.header+": local\r\n")
		case errors.Is(err, ErrUnchanged):
		default:
			s.checkFailed(ctx, w, req, err)
			return
		}
	}
	// QUIRK: spamd ends a TELL reply with its headers and then two more
	// CRLFs, one more than a header block needs; spamc expects exactly that.
	fmt.Fprintf(w, "SPAMD/1.1 %d EX_OK\r\n%s\r\n\r\n", exOK, strings.Join(did, ""))
}

func protocolErr(w io.Writer, text string) {
	fmt.Fprintf(w, "SPAMD/1.0 %d Bad header line: %s\r\n", exProtocol, text)
}

func unavailable(w io.Writer, text string) {
	fmt.Fprintf(w, "SPAMD/1.0 %d Service Unavailable: %s\r\n", exUnavailable, text)
}
