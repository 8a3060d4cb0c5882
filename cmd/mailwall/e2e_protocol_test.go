package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// TestSmuggling: the SEC Consult end-of-data forms followed by a second
// MAIL FROM never produce a second message: the message is refused (bare
// line endings) and only the real <CRLF>.<CRLF> ends DATA.
func TestSmuggling(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, ""))
	forms := []string{"\n.\r\n", "\n.\n", "\r.\r\n", "\r\n.\r", "\r\n.\n", "\n.\x00\r\n"}
	for _, form := range forms {
		t.Run(fmt.Sprintf("%q", form), func(t *testing.T) {
			c := openData(t, g.SMTP, "a@attacker.test")
			c.Send("Subject: first\r\n\r\nfirst" + form +
				"MAIL FROM:<admin@example.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n")
			c.Expect("550 5.5.2 *")
			c.Run(`
				c -> QUIT
				c <- 221 *`)
		})
	}
	// One honest message afterwards proves the pipeline is alive; it must
	// be the only one the sink ever sees.
	msg := smtptest.Msg("a@client.test", "user@example.test", "honest", "ok")
	if reply, err := sendMail(g.SMTP, "a@client.test", []string{"user@example.test"}, msg); err != nil || !queuedRe.MatchString(reply) {
		t.Fatalf("honest message: %q %v", reply, err)
	}
	waitMessages(t, sink, 1, 30*time.Second)
	for _, m := range sink.Messages() {
		if strings.Contains(string(m.Data), "smuggled") || strings.Contains(string(m.Data), "Subject: first") {
			t.Errorf("smuggled or refused content delivered: %q", m.Data)
		}
	}
	if n := len(sink.Messages()); n != 1 {
		t.Errorf("sink got %d messages, want 1", n)
	}
}

// TestSmugglingNormalized: with bare_lf: normalize the smuggled text stays
// inside the one message's body, dot-stuffed on the way out.
func TestSmugglingNormalized(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	cfg := withSMTP(baseConfig(dir, sink.Addr, ""), "bare_lf: normalize")
	g := startGateway(t, dir, cfg)
	c := openData(t, g.SMTP, "a@attacker.test")
	c.Send("Subject: first\r\n\r\nfirst\n.\nMAIL FROM:<admin@example.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n")
	c.Expect("250 2.0.0 Ok: queued as *")
	waitMessages(t, sink, 1, 30*time.Second)
	m := sink.Messages()[0]
	if len(m.Rcpts) != 1 || m.Rcpts[0] != "user@example.test" {
		t.Errorf("recipients %q", m.Rcpts)
	}
	body := string(m.Data)
	if !strings.Contains(body, "first\r\n.\r\nMAIL FROM:<admin@example.test>") {
		t.Errorf("body not normalised as one message: %q", body)
	}
	if strings.Count(body, "\n") != strings.Count(body, "\r\n") || strings.Count(body, "\r") != strings.Count(body, "\r\n") {
		t.Errorf("bare CR or LF relayed: %q", body)
	}
}

// TestDiskFull: with less free space than min_free_bytes, the message is
// refused with 452 4.3.1 and never acknowledged.
func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	cfg := strings.Replace(baseConfig(dir, sink.Addr, ""), "min_free_bytes: 1\n", "min_free_bytes: 9000000000000000000\n", 1)
	g := startGateway(t, dir, cfg)
	reply, _ := sendMail(g.SMTP, "a@client.test", []string{"user@example.test"}, smtptest.Msg("a@client.test", "user@example.test", "x", "x"))
	if !strings.HasPrefix(reply, "452 4.3.1 ") {
		t.Fatalf("reply %q, want 452 4.3.1", reply)
	}
}

// TestMailLoop: a message with too many Received headers is refused as a
// loop, never relayed.
func TestMailLoop(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, ""))
	var b strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "Received: from hop%d.test by hop%d.test; Mon, 23 Nov 2026 08:00:00 +0000\r\n", i, i+1)
	}
	msg := b.String() + smtptest.Msg("a@client.test", "user@example.test", "loop", "x")
	reply, _ := sendMail(g.SMTP, "a@client.test", []string{"user@example.test"}, msg)
	if !strings.HasPrefix(reply, "554 5.4.6 ") {
		t.Fatalf("reply %q, want 554 5.4.6", reply)
	}
}

// TestStartTLSDiscardsInjectedCommands (CVE-2011-0411 class): commands
// sent in the same packet as STARTTLS are discarded, not run after the
// handshake.
func TestStartTLSDiscardsInjectedCommands(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, ""))
	c := smtptest.Dial(t, g.SMTP)
	c.Run(`
		c <- 220 *
		c -> EHLO client.test
		c <- 250 *`)
	c.Send("STARTTLS\r\nXINJECTED\r\n")
	c.Expect("220 *")
	tc := tls.Client(c.Conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(tc, "EHLO client.test\r\n")
	buf := make([]byte, 4096)
	n, err := tc.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if first := string(buf[:n]); !strings.HasPrefix(first, "250") {
		t.Fatalf("first reply after TLS is %q: the injected command was run", first)
	}
}

// TestConnectionFlood: past the per-IP limit a client gets 421 at once,
// while a client from another address still gets the banner.
func TestConnectionFlood(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	cfg := strings.Replace(baseConfig(dir, sink.Addr, ""), "max_connections_per_ip: 200", "max_connections_per_ip: 3", 1)
	g := startGateway(t, dir, cfg)
	for i := 0; i < 3; i++ {
		smtptest.Dial(t, g.SMTP).Expect("220 *")
	}
	smtptest.Dial(t, g.SMTP).Expect("421 4.7.0 *")
	_, port, _ := net.SplitHostPort(g.SMTP)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 10 * time.Second}
	other, err := d.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Skipf("cannot bind 127.0.0.2: %v", err)
	}
	defer other.Close()
	other.SetDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 512)
	n, _ := other.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "220 ") {
		t.Fatalf("other client got %q, want the banner", buf[:n])
	}
}

// TestHTTPOnSMTPPortDropped: a client speaking HTTP is dropped at once.
func TestHTTPOnSMTPPortDropped(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, ""))
	c := smtptest.Dial(t, g.SMTP)
	c.Expect("220 *")
	c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if !c.Closed() {
		t.Fatal("HTTP client not dropped")
	}
}

// TestLimits: SIZE over the limit and too many recipients are refused
// with their codes; a client collecting protocol errors is dropped.
func TestLimits(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	cfg := withSMTP(baseConfig(dir, sink.Addr, ""), "max_recipients: 2", "max_message_size: 1000")
	g := startGateway(t, dir, cfg)
	c := smtptest.Dial(t, g.SMTP)
	c.Run(`
		c <- 220 *
		c -> EHLO client.test
		c <- 250 *
		c -> MAIL FROM:<a@client.test> SIZE=5000
		c <- 552 5.3.4 *
		c -> MAIL FROM:<a@client.test>
		c <- 250 *
		c -> RCPT TO:<u1@example.test>
		c <- 250 *
		c -> RCPT TO:<u2@example.test>
		c <- 250 *
		c -> RCPT TO:<u3@example.test>
		c <- 452 4.5.3 *
		c -> DATA
		c <- 354 *`)
	c.Send(strings.Repeat(strings.Repeat("x", 48)+"\r\n", 50) + ".\r\n")
	c.Expect("552 5.3.4 *")
	bad := smtptest.Dial(t, g.SMTP)
	bad.Expect("220 *")
	bad.Send(strings.Repeat("BOGUS\r\n", 10))
	replies := 0
	for !bad.Closed() && replies < 20 {
		bad.Reply()
		replies++
	}
	if replies >= 11 {
		t.Errorf("client with repeated protocol errors not dropped after %d replies", replies)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d messages relayed", n)
	}
}

// TestSlowClientDropped: a client that stops talking is dropped at the
// command timeout with 421, while others are served.
func TestSlowClientDropped(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	cfg := withSMTP(baseConfig(dir, sink.Addr, ""), "command_timeout: 1s")
	g := startGateway(t, dir, cfg)
	slow := smtptest.Dial(t, g.SMTP)
	slow.Expect("220 *")
	// Meanwhile another client is served normally.
	if reply, err := sendMail(g.SMTP, "a@client.test", []string{"u@example.test"}, smtptest.Msg("a@client.test", "u@example.test", "x", "x")); err != nil || !queuedRe.MatchString(reply) {
		t.Fatalf("other client: %q %v", reply, err)
	}
	slow.Expect("421 4.4.2 *")
	if !slow.Closed() {
		t.Error("idle client not disconnected")
	}
}
