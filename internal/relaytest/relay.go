package relaytest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a relay audit.
type Options struct {
	Helo    string        // EHLO name; default "relaytest.invalid"
	From    string        // our sender; default relaytest@<Helo>
	To      string        // the foreign recipient; default relaytest@relaytest.invalid
	Timeout time.Duration // per connect and per reply; default 30 s
	// Transcript, when set, receives every line sent ("C: ") and
	// received ("S: "), prefixed by the host.
	Transcript io.Writer
}

func (o *Options) setDefaults() {
	if o.Helo == "" {
		o.Helo = "relaytest.invalid"
	}
	if o.From == "" {
		o.From = "relaytest@" + o.Helo
	}
	if o.To == "" {
		o.To = "relaytest@relaytest.invalid"
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
}

// Outcome is the result of one probe.
type Outcome struct {
	Probe   Probe
	Stage   string // "MAIL" or "RCPT": the last command sent
	Reply   string // the last reply line (first line of a multi-line one)
	Relayed bool   // RCPT got 2xx
	Err     error  // network or protocol failure
}

// Report is the audit of one host.
type Report struct {
	Addr     string // host:port as dialled
	Greeting string
	Outcomes []Outcome
	Err      error // the host could not be tested at all
}

// Relays reports whether any probe was accepted.
func (r *Report) Relays() bool {
	for _, o := range r.Outcomes {
		if o.Relayed {
			return true
		}
	}
	return false
}

// Relay audits one host (host:port). It never sends DATA.
func Relay(ctx context.Context, addr string, opt Options) *Report {
	opt.setDefaults()
	rep := &Report{Addr: addr}
	s, err := dial(ctx, addr, &opt)
	if err != nil {
		rep.Err = err
		return rep
	}
	rep.Greeting = s.greeting
	probes := Probes(s.target(), opt.From, opt.To)
	var lost error
	for _, p := range probes {
		if s == nil {
			rep.Outcomes = append(rep.Outcomes, Outcome{Probe: p, Err: lost})
			continue
		}
		o := s.probe(p)
		if o.Err != nil { // dropped or 421: reconnect, retry a dropped probe once
			s.close()
			if s, lost = dial(ctx, addr, &opt); lost != nil {
				s = nil
			} else if !errors.Is(o.Err, errRefused) {
				o = s.probe(p)
			}
		}
		rep.Outcomes = append(rep.Outcomes, o)
	}
	if s != nil {
		s.quit()
	}
	return rep
}

var errRefused = errors.New("refused")

// session is one SMTP client connection.
type session struct {
	addr     string
	conn     net.Conn
	r        *bufio.Reader
	opt      *Options
	greeting string
}

// transcriptMu keeps transcript lines whole when hosts run in parallel.
var transcriptMu sync.Mutex

func dial(ctx context.Context, addr string, opt *Options) (*session, error) {
	d := net.Dialer{Timeout: opt.Timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	s := &session{addr: addr, conn: c, r: bufio.NewReader(c), opt: opt}
	code, line, err := s.read()
	if err != nil || code != 220 {
		c.Close()
		return nil, fmt.Errorf("greeting from %s: %d %s %v", addr, code, line, err)
	}
	s.greeting = line
	if code, line, err = s.cmd("EHLO " + opt.Helo); err == nil && code/100 != 2 {
		code, line, err = s.cmd("HELO " + opt.Helo)
	}
	if err != nil || code/100 != 2 {
		c.Close()
		return nil, fmt.Errorf("HELO at %s: %d %s %v", addr, code, line, err)
	}
	return s, nil
}

// target derives the host name and domain from the greeting.
func (s *session) target() Target {
	t := Target{}
	if ap, err := netip.ParseAddrPort(s.conn.RemoteAddr().String()); err == nil {
		t.IP = ap.Addr().Unmap()
	}
	f := strings.Fields(s.greeting)
	if len(f) > 1 && strings.Contains(f[1], ".") && !strings.ContainsAny(f[1], "[]<>@") {
		t.Host = strings.ToLower(strings.TrimSuffix(f[1], "."))
		if _, rest, ok := strings.Cut(t.Host, "."); ok && strings.Contains(rest, ".") {
			t.Domain = rest
		} else {
			t.Domain = t.Host
		}
	}
	return t
}

// probe runs MAIL, RCPT (if MAIL was accepted) and RSET.
func (s *session) probe(p Probe) Outcome {
	o := Outcome{Probe: p, Stage: "MAIL"}
	code, line, err := s.cmd("MAIL FROM:<" + p.From + ">")
	o.Reply = line
	if err != nil {
		o.Err = err
		return o
	}
	if code/100 == 2 {
		o.Stage = "RCPT"
		code, line, err = s.cmd("RCPT TO:<" + p.To + ">")
		o.Reply = line
		if err != nil {
			o.Err = err
			return o
		}
		o.Relayed = code/100 == 2
	}
	if code == 421 {
		o.Err = fmt.Errorf("%w: server closing: %s", errRefused, line)
		return o
	}
	if _, _, err := s.cmd("RSET"); err != nil {
		o.Err = fmt.Errorf("RSET: %w", err)
	}
	return o
}

func (s *session) quit() {
	s.cmd("QUIT")
	s.close()
}

func (s *session) close() { s.conn.Close() }

// cmd sends one command line and reads the reply.
func (s *session) cmd(line string) (int, string, error) {
	s.log("C: " + line)
	s.conn.SetDeadline(time.Now().Add(s.opt.Timeout))
	if _, err := io.WriteString(s.conn, line+"\r\n"); err != nil {
		return 0, "", err
	}
	return s.read()
}

// maxReplyLines bounds a multi-line reply (a hostile server could send
// continuation lines forever).
const maxReplyLines = 100

// read reads one reply (RFC 5321 4.2: "250-" continues, "250 " ends) and
// returns its code and first line.
func (s *session) read() (int, string, error) {
	s.conn.SetDeadline(time.Now().Add(s.opt.Timeout))
	first := ""
	for range maxReplyLines {
		l, err := s.r.ReadString('\n')
		if err != nil {
			return 0, first, fmt.Errorf("read reply: %w", err)
		}
		l = strings.TrimRight(l, "\r\n")
		if len(l) > 512 {
			l = l[:512]
		}
		s.log("S: " + l)
		if first == "" {
			first = l
		}
		if len(l) < 3 {
			return 0, first, fmt.Errorf("bad reply %q", l)
		}
		code, err := strconv.Atoi(l[:3])
		if err != nil {
			return 0, first, fmt.Errorf("bad reply %q", l)
		}
		if len(l) == 3 || l[3] != '-' {
			return code, first, nil
		}
	}
	return 0, first, fmt.Errorf("reply longer than %d lines", maxReplyLines)
}

func (s *session) log(line string) {
	if s.opt.Transcript == nil {
		return
	}
	transcriptMu.Lock()
	fmt.Fprintf(s.opt.Transcript, "%s %s\n", s.addr, line)
	transcriptMu.Unlock()
}
