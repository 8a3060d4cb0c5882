package clamd

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"runtime/debug"
	"strings"
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
	prefix string   // "<n>: " inside a session
	err    error    // first write error; the connection is dead after it
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
func (h *handler) session(ctx context.Context) {
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
		h.prefix = fmt.Sprintf("%d: ", n)
		if cmd.Framing == FramePlain || !inSession[cmd.Name] {
			h.reply(cmd.Framing, replyInSession)
			return
		}
		if !h.exec(ctx, cmd) || h.err != nil {
			return
		}
	}
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
func (h *handler) reply(f Framing, text string) {
	if h.err != nil {
		return
	}
	b := make([]byte, 0, len(h.prefix)+len(text)+1)
	b = append(b, h.prefix...)
	b = append(b, text...)
	b = append(b, f.term())
	_ = h.c.SetWriteDeadline(time.Now().Add(h.s.opt.ReadTimeout))
	_, h.err = h.c.Write(b)
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
