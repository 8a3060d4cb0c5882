package smtptest

import (
	"bufio"
	"fmt"
	"net"
	"path"
	"strings"
	"testing"
	"time"
)

// Client is a raw SMTP client for dialogue tests: it sends exactly the bytes
// given (so tests can send malformed input) and reads whole replies.
type Client struct {
	t    testing.TB
	Conn net.Conn
	r    *bufio.Reader
}

// Dial connects to addr and returns the client; the greeting is not read.
func Dial(t testing.TB, addr string) *Client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	return &Client{t: t, Conn: c, r: bufio.NewReader(c)}
}

// Send writes raw bytes.
func (c *Client) Send(raw string) {
	c.t.Helper()
	if _, err := c.Conn.Write([]byte(raw)); err != nil {
		c.t.Fatalf("send %q: %v", raw, err)
	}
}

// Reply reads one (possibly multi-line) reply and returns its last line.
func (c *Client) Reply() string {
	c.t.Helper()
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read reply: %v (got %q)", err, line)
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 4 || line[3] != '-' {
			return line
		}
	}
}

// Expect reads a reply and checks it against a glob pattern ("250 *").
func (c *Client) Expect(pattern string) string {
	c.t.Helper()
	got := c.Reply()
	if ok, _ := path.Match(pattern, got); !ok {
		c.t.Fatalf("reply %q does not match %q", got, pattern)
	}
	return got
}

// Closed reports whether the server closed the connection (EOF before
// any further byte); it consumes nothing.
func (c *Client) Closed() bool {
	_, err := c.r.Peek(1)
	return err != nil
}

// Run plays a dialogue script: lines "c -> TEXT" send TEXT+CRLF, lines
// "c <- PATTERN" expect a reply matching the glob PATTERN. Blank lines and
// lines starting with # are skipped.
func (c *Client) Run(script string) {
	c.t.Helper()
	for i, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "c -> "):
			c.Send(strings.TrimPrefix(line, "c -> ") + "\r\n")
		case strings.HasPrefix(line, "c <- "):
			c.Expect(strings.TrimPrefix(line, "c <- "))
		default:
			c.t.Fatalf("script line %d: %q: want 'c -> ' or 'c <- '", i+1, line)
		}
	}
}

// Msg builds a small RFC 5322 message with CRLF line endings.
func Msg(from, to, subject, body string) string {
	return fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%d@test>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\n\r\n%s\r\n",
		from, to, subject, time.Now().UnixNano(), strings.ReplaceAll(body, "\n", "\r\n"))
}

// ReplyLine reads one raw reply line (without CRLF), for multi-line replies.
func (c *Client) ReplyLine() string {
	c.t.Helper()
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read reply: %v (got %q)", err, line)
	}
	return strings.TrimRight(line, "\r\n")
}
