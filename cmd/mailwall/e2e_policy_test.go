package main

import (
	"bytes"
	"errors"

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// TestEHLOExtensions: the extensions the gateway must announce.
func TestEHLOExtensions(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, ""))
	c := smtptest.Dial(t, g.SMTP)
	c.Expect("220 mx.example.test *")
	c.Send("EHLO client.test\r\n")
	var lines []string
	for {
		l := c.ReplyLine()
		lines = append(lines, l)
		if len(l) > 3 && l[3] == ' ' {
			break
		}
	}
	ehlo := strings.Join(lines, "\n")
	for _, ext := range []string{"SIZE 52428800", "PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "STARTTLS"} {
		if !strings.Contains(ehlo, ext) {
			t.Errorf("EHLO lacks %s:\n%s", ext, ehlo)
		}
	}
	if strings.Contains(ehlo, "AUTH") {
		t.Errorf("AUTH offered before STARTTLS:\n%s", ehlo)
	}
}

// TestRelaytestAgainstMailwall: with no trusted networks and one local
// domain, every probe of `mailwall relaytest` against mailwall is refused.
func TestRelaytestAgainstMailwall(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	cfg := strings.Replace(baseConfig(dir, sink.Addr, ""), "trusted_networks: [127.0.0.0/8]", "trusted_networks: []", 1)
	g := startGateway(t, dir, cfg)
	out, err := exec.Command(binary(t), "relaytest", "--log", filepath.Join(dir, "transcript.log"), g.SMTP).CombinedOutput()
	if err != nil {
		t.Fatalf("relaytest: %v (exit 0 expected: nothing relays)\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("Finished scanning. 0 out of 1 hosts will relay.")) {
		t.Errorf("unexpected report:\n%s", out)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("sink got %d messages", n)
	}
	// The same probes against the sink (which accepts anything) all relay.
	out, err = exec.Command(binary(t), "relaytest", sink.Addr).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("relaytest against an open sink: %v, want exit 1\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("Finished scanning. 1 out of 1 hosts will relay.")) {
		t.Errorf("unexpected report:\n%s", out)
	}
}

// TestReloadKeepsSessions: SIGHUP swaps the configuration; a session open
// across the reload finishes, and new sessions see the new config.
func TestReloadKeepsSessions(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	cfg := strings.Replace(baseConfig(dir, sink.Addr, ""), "trusted_networks: [127.0.0.0/8]", "trusted_networks: []", 1)
	g := startGateway(t, dir, cfg)
	old := smtptest.Dial(t, g.SMTP)
	old.Run(`
		c <- 220 *
		c -> EHLO client.test
		c <- 250 *
		c -> MAIL FROM:<a@client.test>
		c <- 250 *
		c -> RCPT TO:<u@new.test>
		c <- 550 5.7.1 *
		c -> RCPT TO:<u@example.test>
		c <- 250 *`)
	newCfg := strings.Replace(cfg, "local_domains: [example.test]", "local_domains: [example.test, new.test]", 1)
	if err := os.WriteFile(filepath.Join(dir, "mailwall.yaml"), []byte(newCfg), 0o644); err != nil {
		t.Fatal(err)
	}
	g.cmd.Process.Signal(syscall.SIGHUP)
	// The reload is logged on stderr; a new session proves it took effect.
	var reply string
	for i := 0; i < 100; i++ {
		reply, _ = sendMail(g.SMTP, "a@client.test", []string{"u@new.test"}, smtptest.Msg("a@client.test", "u@new.test", "after reload", "x"))
		if queuedRe.MatchString(reply) {
			break
		}
		g.waitLine(100*time.Millisecond, func(string) bool { return false })
	}
	if !queuedRe.MatchString(reply) {
		t.Fatalf("new.test not accepted after SIGHUP: %q", reply)
	}
	old.Run(`
		c -> DATA
		c <- 354 *`)
	old.Send(smtptest.Msg("a@client.test", "u@example.test", "across reload", "x") + ".\r\n")
	old.Expect("250 2.0.0 Ok: queued as *")
	waitMessages(t, sink, 2, 30*time.Second)
}
