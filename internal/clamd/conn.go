package clamd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Reply texts shared by several commands, as clamd 1.4 words them.
const (
	replyUnknown     = "UNKNOWN COMMAND"
	replyUnavailable = "COMMAND UNAVAILABLE"
	replyInSession   = "Command invalid inside IDSESSION. ERROR"
	replyStreamLimit = "INSTREAM size limit exceeded. ERROR"
)

// inSession are the commands allowed after IDSESSION (besides END).
var inSession = map[string]bool{
	"PING": true, "VERSION": true, "VERSIONCOMMANDS": true, "STATS": true,
	"SCAN": true, "INSTREAM": true, "FILDES": true,
}

// handler serves one connection.
type handler struct {
	s      *Server
	c      net.Conn
	r      *bufio.Reader
	fds    *fdQueue // received descriptors; nil on TCP
	prefix string   // "<n>: " of the command being run synchronously
	wmu    sync.Mutex
	err    error // first write error; the connection is dead after it
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	h := &handler{s: s, c: c}
	defer func() {
		if p := recover(); p != nil {
			s.opt.Log.Error("clamd: panic serving connection", "remote", c.RemoteAddr(), "panic", p, "stack", string(debug.Stack()))
		}
	}()
	h.r, h.fds = newConnReader(c)
	defer h.fds.closeAll()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.base, cancel)
	defer stop()
	_ = c.SetReadDeadline(time.Now().Add(s.opt.ReadTimeout))
	cmd, err := readCommand(h.r)
	if err != nil {
		if err == errCommandTooLong {
			h.reply(FramePlain, replyUnknown)
		}
		return
	}
	if cmd.Name == "IDSESSION" {
		h.session(ctx)
		return
	}
	if cmd.Name == "END" {
		cmd.Name = ""
	}
	h.exec(ctx, cmd)
}

// session serves the commands after IDSESSION until END, EOF or an error.
// As in clamd, INSTREAM and FILDES are scanned in the background once their
// data is in, so a client can pipeline them (clamdscan --multiscan
// --stream); replies then come in completion order, told apart by their
// request numbers. At most GOMAXPROCS scans of a session run at once.
func (h *handler) session(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait() // every reply is written before the connection closes
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for n := 1; ; n++ {
		_ = h.c.SetReadDeadline(time.Now().Add(h.s.opt.IdleTimeout))
		cmd, err := readCommand(h.r)
		if err != nil {
			return
		}
		_ = h.c.SetReadDeadline(time.Now().Add(h.s.opt.ReadTimeout))
		if cmd.Name == "END" {
			return
		}
		prefix := fmt.Sprintf("%d: ", n)
		if cmd.Framing == FramePlain || !inSession[cmd.Name] {
			h.replyTo(prefix, cmd.Framing, replyInSession)
			return
		}
		var obj string
		var data io.Reader
		var closer io.Closer
		switch cmd.Name {
		case "INSTREAM":
			b, err := h.readStream()
			if errors.Is(err, errStreamLimit) {
				h.replyTo(prefix, cmd.Framing, replyStreamLimit)
			}
			if err != nil {
				return
			}
			obj, data = "stream", bytes.NewReader(b)
		case "FILDES":
			f, name, ok := h.receiveFD(cmd.Framing, prefix)
			if !ok {
				return
			}
			obj, data, closer = name, f, f
		default:
			h.prefix = prefix
			if !h.exec(ctx, cmd) || h.failed() {
				return
			}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if closer != nil {
				defer closer.Close()
			}
			names, err := h.scanReader(ctx, data)
			for _, line := range result(obj, names, err) {
				h.replyTo(prefix, cmd.Framing, line)
			}
		})
		if h.failed() {
			return
		}
	}
}

// scanReader runs the scanner on r, turning a panic into an error so a
// background scan cannot take the process down.
func (h *handler) scanReader(ctx context.Context, r io.Reader) (names []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			h.s.opt.Log.Error("clamd: panic in scan", "panic", p, "stack", string(debug.Stack()))
			names, err = nil, errors.New("Internal error")
		}
	}()
	h.s.scanned.Add(1)
	return h.s.scanner.ScanReader(ctx, r)
}

// exec runs one command and reports whether the connection may go on.
func (h *handler) exec(ctx context.Context, cmd command) bool {
	f := cmd.Framing
	switch cmd.Name {
	case "PING":
		h.reply(f, "PONG")
	case "VERSION":
		h.reply(f, h.s.scanner.Version())
	case "VERSIONCOMMANDS":
		h.reply(f, h.s.scanner.Version()+"| COMMANDS: "+strings.Join(commandNames, " "))
	case "RELOAD":
		h.reply(f, "RELOADING")
		h.s.reload()
	case "SHUTDOWN", "QUIT":
		if !h.s.opt.AllowShutdown {
			h.reply(f, replyUnavailable)
			return false
		}
		h.s.doShutdown()
		return false
	case "STATS":
		h.reply(f, h.s.stats())
	case "DETSTATS", "DETSTATSCLEAR":
		// QUIRK: clamd 1.4 still lists these but closes without a reply.
		return false
	case "SCAN", "CONTSCAN", "MULTISCAN", "ALLMATCHSCAN":
		h.scanPath(ctx, f, cmd.Name, cmd.Arg)
	case "INSTREAM":
		return h.instream(ctx, f)
	case "FILDES":
		return h.fildes(ctx, f)
	default:
		h.reply(f, replyUnknown)
		return false
	}
	return true
}

// reply writes one reply record with the session prefix and terminator.
func (h *handler) reply(f Framing, text string) { h.replyTo(h.prefix, f, text) }

// replyTo writes one record; background scans of a session call it
// concurrently, so writes are serialised.
func (h *handler) replyTo(prefix string, f Framing, text string) {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if h.err != nil {
		return
	}
	b := make([]byte, 0, len(prefix)+len(text)+1)
	b = append(b, prefix...)
	b = append(b, text...)
	b = append(b, f.term())
	_ = h.c.SetWriteDeadline(time.Now().Add(h.s.opt.ReadTimeout))
	_, h.err = h.c.Write(b)
}

// failed reports whether a write to the client has failed.
func (h *handler) failed() bool {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	return h.err != nil
}

// result formats the reply for one scanned object.
func result(object string, names []string, err error) []string {
	switch {
	case err != nil:
		return []string{object + ": " + errorText(err) + " ERROR"}
	case len(names) == 0:
		return []string{object + ": OK"}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = object + ": " + n + " FOUND"
	}
	return out
}

// errorText keeps an error to one line so it cannot break the framing.
func errorText(err error) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == 0 {
			return ' '
		}
		return r
	}, err.Error())
}
