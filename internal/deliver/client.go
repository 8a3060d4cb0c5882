package deliver

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// # Wire protocol (client side)
//
// A small SMTP/LMTP client (RFC 5321, RFC 2033) owned here rather than taken
// from go-smtp so that STARTTLS buffer handling and pipelining are ours:
//
//	S: 220 greeting          C: EHLO name (LHLO for LMTP; HELO if EHLO gets 5xx)
//	C: STARTTLS  S: 220      -> TLS handshake, read buffer dropped, EHLO again
//	C: MAIL FROM:<a> [BODY=8BITMIME] [SMTPUTF8]
//	C: RCPT TO:<b> ...       (sent together when PIPELINING is offered, RFC 2920)
//	C: DATA  S: 354  C: dot-stuffed data, CRLF.CRLF
//	S: one reply (SMTP) or one reply per accepted recipient (LMTP)
//
// Reply lines are limited to maxReplyLine bytes and replies to
// maxReplyLines lines, so a hostile server cannot exhaust memory.

const (
	// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets; allow slack
	// for servers that exceed it.
	maxReplyLine  = 4096
	maxReplyLines = 100
)

// reply is one SMTP reply.
type reply struct {
	code  int
	enh   string // RFC 3463 code from the first line, "" if none
	text  string // lines joined with a space, enhanced codes removed
	lines []string
}

// replyError is a reply that refused something.
type replyError reply

func (e *replyError) Error() string {
	s := strconv.Itoa(e.code)
	if e.enh != "" {
		s += " " + e.enh
	}
	return s + " " + e.text
}

// client is one connection to an SMTP or LMTP server. Not safe for
// concurrent use.
type client struct {
	conn    net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	lmtp    bool
	timeout time.Duration
	ext     map[string]string // EHLO keywords, upper case
	tls     bool
	broken  bool // an I/O or framing error: the connection must not be reused
	uses    int  // transactions run on this connection
}

func newClient(conn net.Conn, lmtp bool, timeout time.Duration) *client {
	c := &client{lmtp: lmtp, timeout: timeout}
	c.setConn(conn)
	return c
}

// setConn (re)builds the buffers over conn; whatever the old read buffer
// held is dropped.
func (c *client) setConn(conn net.Conn) {
	c.conn = conn
	c.br = bufio.NewReaderSize(conn, maxReplyLine)
	c.bw = bufio.NewWriter(conn)
}

func (c *client) close() error { return c.conn.Close() }

// send buffers one command line; flush sends it.
func (c *client) send(line string) error {
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	_, err := c.bw.WriteString(line + "\r\n")
	c.broken = c.broken || err != nil
	return err
}

func (c *client) flush() error {
	err := c.bw.Flush()
	c.broken = c.broken || err != nil
	return err
}

// read reads one reply; a reply whose code is not in class want (2 for 2xx,
// 3 for 3xx) is returned as *replyError. Any other error marks the
// connection broken.
func (c *client) read(want int) (reply, error) {
	r, err := c.readReply(want)
	var re *replyError
	if err != nil && !errors.As(err, &re) || r.code == 421 { // RFC 5321 3.8: 421 closes
		c.broken = true
	}
	return r, err
}

// readOK reads one reply and wants 2xx.
func (c *client) readOK() error {
	_, err := c.read(2)
	return err
}

func (c *client) readReply(want int) (reply, error) {
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	var r reply
	var texts []string
	for n := 0; ; n++ {
		line, err := c.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return r, fmt.Errorf("reply line longer than %d bytes", maxReplyLine)
		}
		if err != nil {
			return r, fmt.Errorf("read reply: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) < 3 || n >= maxReplyLines {
			return r, fmt.Errorf("malformed reply %q", line)
		}
		code, err := strconv.Atoi(string(line[:3]))
		if err != nil || code < 200 || code > 599 || (r.code != 0 && code != r.code) {
			return r, fmt.Errorf("malformed reply %q", line)
		}
		r.code = code
		text := ""
		if len(line) > 4 {
			text = string(line[4:])
		}
		if enh, rest, ok := splitEnhanced(text); ok {
			if r.enh == "" {
				r.enh = enh
			}
			text = rest
		}
		texts = append(texts, text)
		if len(line) == 3 || line[3] == ' ' {
			break
		}
		if line[3] != '-' {
			return r, fmt.Errorf("malformed reply %q", line)
		}
	}
	r.text, r.lines = strings.Join(texts, " "), texts
	if r.code/100 != want {
		return r, (*replyError)(&r)
	}
	return r, nil
}

// splitEnhanced splits an RFC 2034 "x.y.z " prefix off a reply text.
func splitEnhanced(s string) (enh, rest string, ok bool) {
	enh, rest, _ = strings.Cut(s, " ")
	p := strings.Split(enh, ".")
	if len(p) != 3 || (p[0] != "2" && p[0] != "4" && p[0] != "5") {
		return "", s, false
	}
	for _, x := range p[1:] {
		if n, err := strconv.Atoi(x); err != nil || n < 0 || n > 999 {
			return "", s, false
		}
	}
	return enh, rest, true
}

// hello reads the greeting (when greet) and says EHLO/LHLO, falling back to
// HELO (SMTP only) when EHLO is refused with 5xx.
func (c *client) hello(name string, greet bool) error {
	if greet {
		if _, err := c.read(2); err != nil {
			return fmt.Errorf("greeting: %w", err)
		}
	}
	verb := "EHLO"
	if c.lmtp {
		verb = "LHLO"
	}
	if err := c.cmd(verb + " " + name); err != nil {
		return err
	}
	r, err := c.read(2)
	var re *replyError
	if errors.As(err, &re) && re.code >= 500 && !c.lmtp {
		c.ext = map[string]string{}
		if err := c.cmd("HELO " + name); err != nil {
			return err
		}
		_, err = c.read(2)
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", verb, err)
	}
	// RFC 5321 4.1.1.1: the first line is the greeting, then one
	// extension keyword (and parameters) per line.
	c.ext = map[string]string{}
	for _, l := range r.lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		c.ext[strings.ToUpper(k)] = v
	}
	return nil
}

// cmd sends one command line now.
func (c *client) cmd(line string) error {
	if err := c.send(line); err != nil {
		return err
	}
	return c.flush()
}

// startTLS upgrades the connection (RFC 3207) and says EHLO again.
//
// Security: bytes the server sent after "220" and before the handshake are
// dropped with the old read buffer, never taken as replies over TLS
// (CVE-2011-0411 class).
func (c *client) startTLS(cfg *tls.Config, name string) error {
	if err := c.cmd("STARTTLS"); err != nil {
		return err
	}
	if _, err := c.read(2); err != nil {
		return fmt.Errorf("STARTTLS: %w", err)
	}
	tc := tls.Client(c.conn, cfg)
	tc.SetDeadline(time.Now().Add(c.timeout))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	c.setConn(tc)
	c.tls = true
	return c.hello(name, false)
}

// data sends DATA and then the message from r: line endings normalised to
// CRLF, dot-stuffed, ended with CRLF.CRLF. It returns after the last byte
// is written; the caller reads the reply or replies.
func (c *client) data(r io.Reader) error {
	if err := c.cmd("DATA"); err != nil {
		return err
	}
	if _, err := c.read(3); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	dw := newDotWriter(&deadlineWriter{c: c, w: c.bw})
	c.broken = true // until the final dot is out: a cut transfer must not be reused
	if _, err := io.Copy(dw, r); err != nil {
		return fmt.Errorf("sending data: %w", err)
	}
	if err := dw.Close(); err != nil {
		return fmt.Errorf("sending data: %w", err)
	}
	if err := c.flush(); err != nil {
		return fmt.Errorf("sending data: %w", err)
	}
	c.broken = false
	return nil
}

// deadlineWriter extends the connection deadline before each write, so the
// timeout bounds a stall, not the whole transfer of a large message.
type deadlineWriter struct {
	c *client
	w io.Writer
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.c.conn.SetDeadline(time.Now().Add(d.c.timeout))
	return d.w.Write(p)
}
