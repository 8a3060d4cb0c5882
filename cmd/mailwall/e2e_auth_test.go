package main

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// authClient is a raw SMTP client that can switch to TLS mid-session.
type authClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (a *authClient) cmd(line, want string) string {
	a.t.Helper()
	if line != "" {
		fmt.Fprintf(a.c, "%s\r\n", line)
	}
	var last string
	for {
		l, err := a.r.ReadString('\n')
		if err != nil {
			a.t.Fatalf("%q: %v", line, err)
		}
		last = strings.TrimRight(l, "\r\n")
		if len(last) < 4 || last[3] != '-' {
			break
		}
	}
	if !strings.HasPrefix(last, want) {
		a.t.Fatalf("%q: got %q, want %s", line, last, want)
	}
	return last
}

func dialTLS(t *testing.T, addr string) *authClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	a := &authClient{t: t, c: c, r: bufio.NewReader(c)}
	a.cmd("", "220")
	a.cmd("EHLO client.test", "250")
	a.cmd("STARTTLS", "220")
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	a.c, a.r = tc, bufio.NewReader(tc)
	a.cmd("EHLO client.test", "250")
	return a
}

func plain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

// TestAuth: AUTH is refused in plaintext; over TLS a good login may relay,
// a wrong password gets 535 5.7.8 (the same as an unknown user), and
// repeated failures are throttled; the submission listener requires AUTH.
func TestAuth(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	add := exec.Command(binary(t), "users", "add", "--file", users, "alice")
	add.Stdin = strings.NewReader("correct horse battery staple\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("users add: %v\n%s", err, out)
	}
	sink := smtptest.NewSink(t)
	cfg := strings.Replace(baseConfig(dir, sink.Addr, `policy:
  auth:
    users_file: `+users+`
    throttle:
      free_failures: 2
      base_delay: 10ms
      max_delay: 50ms
      lockout_after: 4
      lockout: 1h
`), "trusted_networks: [127.0.0.0/8]", "trusted_networks: []", 1)
	cfg = strings.Replace(cfg, "  listen: [\"127.0.0.1:0\"]\n  min_free_bytes", "  listen: [\"127.0.0.1:0\"]\n  submission: [\"127.0.0.1:0\"]\n  min_free_bytes", 1)
	g := startGateway(t, dir, cfg)

	// Plaintext: AUTH refused.
	c := smtptest.Dial(t, g.SMTP)
	c.Run(`
		c <- 220 *
		c -> EHLO client.test
		c <- 250 *
		c -> AUTH PLAIN ` + plain("alice", "correct horse battery staple") + `
		c <- 5* *`)

	// Over TLS, a good login relays to a foreign domain.
	a := dialTLS(t, g.SMTP)
	a.cmd("AUTH PLAIN "+plain("alice", "correct horse battery staple"), "235")
	a.cmd("MAIL FROM:<alice@example.test>", "250")
	a.cmd("RCPT TO:<friend@elsewhere.test>", "250")
	a.cmd("DATA", "354")
	a.cmd(strings.TrimSuffix(smtptest.Msg("alice@example.test", "friend@elsewhere.test", "authed", "x"), "\r\n")+"\r\n.", "250 2.0.0 Ok: queued as")
	waitMessages(t, sink, 1, 30*time.Second)

	// Without AUTH the same relay is refused.
	b := dialTLS(t, g.SMTP)
	b.cmd("MAIL FROM:<alice@example.test>", "250")
	b.cmd("RCPT TO:<friend@elsewhere.test>", "550 5.7.1")

	// Wrong password and unknown user: the same 535 5.7.8; then throttled.
	w := dialTLS(t, g.SMTP)
	wrong := w.cmd("AUTH PLAIN "+plain("alice", "wrong"), "535 5.7.8")
	unknown := w.cmd("AUTH PLAIN "+plain("mallory", "wrong"), "535 5.7.8")
	if wrong != unknown {
		t.Errorf("wrong password %q and unknown user %q differ", wrong, unknown)
	}
	throttled := false
	for i := 0; i < 6 && !throttled; i++ {
		x := dialTLS(t, g.SMTP)
		l := x.cmd("AUTH PLAIN "+plain("alice", fmt.Sprint("guess", i)), "")
		throttled = strings.HasPrefix(l, "454 4.7.0")
	}
	if !throttled {
		t.Error("repeated failures never throttled with 454 4.7.0")
	}

	// Submission listener: MAIL before AUTH is refused.
	sub := strings.Fields(strings.SplitN(g.Output(), " ready: smtp ", 2)[1])[1]
	s := dialTLS(t, strings.TrimSuffix(sub, ","))
	s.cmd("MAIL FROM:<alice@example.test>", "530 5.7.0")
}
