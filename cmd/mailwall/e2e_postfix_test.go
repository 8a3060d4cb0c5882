package main

import (
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// TestPostfixMilter: real Postfix calls mailwall as its milter. A sender
// the access map refuses is rejected by Postfix at MAIL FROM with our
// reply, a virus at the end of DATA; other mail passes and is delivered
// by Postfix.
func TestPostfixMilter(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	milterAddr := freeAddr(t)
	access := filepath.Join(dir, "access")
	os.WriteFile(access, []byte("spam@hacker.test REJECT\nspammail.test ERROR:5.7.1:550 No mail from spammail\n"), 0o644)
	cfg := fmt.Sprintf(`hostname: gw.example.test
data_dir: %s/data
smtp:
  listen: ["127.0.0.1:0"]
  min_free_bytes: 1
milter:
  listen: ["%s"]
routes:
  - domains: ["*"]
    next_hop: "smtp://%s"
policy:
  access_map: %s
web:
  listen: ""
antivirus:
  database_dir: %s
spam:
  enabled: false
`, dir, milterAddr, sink.Addr, access, avDB(t, dir))
	g := startGateway(t, dir, cfg)
	pf, _ := smtptest.StartPostfix(t, "relayhost = ["+strings.Replace(sink.Addr, ":", "]:", 1)+
		"\nsmtpd_milters = inet:"+milterAddr+"\nmilter_default_action = tempfail\nmilter_protocol = 6")
	reply, err := sendMail(pf, "spam@hacker.test", []string{"u@example.test"}, smtptest.Msg("spam@hacker.test", "u@example.test", "x", "x"))
	if err == nil || !strings.HasPrefix(reply, "5") {
		t.Errorf("access-map sender through Postfix: %q %v, want a 5xx", reply, err)
	}
	reply, _ = sendMail(pf, "x@spammail.test", []string{"u@example.test"}, smtptest.Msg("x@spammail.test", "u@example.test", "x", "x"))
	if !strings.HasPrefix(reply, "550 5.7.1 No mail from spammail") {
		t.Errorf("custom access-map reply through Postfix: %q", reply)
	}
	reply, _ = sendMail(pf, "ok@client.test", []string{"u@example.test"}, smtptest.Msg("ok@client.test", "u@example.test", "virus", eicar))
	if !strings.HasPrefix(reply, "554 5.7.1 Virus found: Eicar-Test-Signature") {
		t.Errorf("EICAR through Postfix: %q", reply)
	}
	reply, err = sendMail(pf, "ok@client.test", []string{"u@example.test"}, smtptest.Msg("ok@client.test", "u@example.test", "through postfix", "x"))
	if err != nil || !strings.HasPrefix(reply, "250") {
		t.Fatalf("clean mail through Postfix: %q %v", reply, err)
	}
	waitMessages(t, sink, 1, 60*time.Second)
	if l := g.waitLine(10*time.Second, func(l string) bool { return strings.Contains(l, "queued from=<ok@client.test>") }); l == "" && !strings.Contains(g.Output(), "queued from=<ok@client.test>") {
		t.Errorf("mailwall did not see the message as milter:\n%s", g.Output())
	}
}

// TestPostfixMilterSubject: with `rewrite_header Subject`, a spam that
// passes Postfix with mailwall as its milter is delivered by Postfix
// with the tagged Subject and the old one in X-Spam-Prev-Subject.
func TestPostfixMilterSubject(t *testing.T) {
	rules := stockRules(t)
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	if err := os.Mkdir(site, 0o755); err != nil {
		t.Fatal(err)
	}
	local := "rewrite_header Subject *****SPAM*****\nbody LOCAL_TAG_ME /tag-me-as-spam/\nscore LOCAL_TAG_ME 7\n"
	if err := os.WriteFile(filepath.Join(site, "local.cf"), []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := smtptest.NewSink(t)
	milterAddr := freeAddr(t)
	startGateway(t, dir, baseConfig(dir, sink.Addr, `milter:
  listen: ["`+milterAddr+`"]
spam:
  rules_dir: `+rules+`
  site_rules_dir: `+site+`
  use_bayes: false
  dns_tests: false
  report_safe: 0
`))
	pf, _ := smtptest.StartPostfix(t, "relayhost = ["+strings.Replace(sink.Addr, ":", "]:", 1)+
		"\nsmtpd_milters = inet:"+milterAddr+"\nmilter_default_action = tempfail\nmilter_protocol = 6")
	msg := smtptest.Msg("ok@client.test", "u@example.test", "cheap offer", "please tag-me-as-spam now")
	if reply, err := sendMail(pf, "ok@client.test", []string{"u@example.test"}, msg); err != nil || !strings.HasPrefix(reply, "250") {
		t.Fatalf("spam through Postfix: %q %v", reply, err)
	}
	waitMessages(t, sink, 1, 60*time.Second)
	got := string(sink.Messages()[0].Data)
	m, err := mail.ReadMessage(strings.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Header["Subject"]; len(s) != 1 || s[0] != "*****SPAM***** cheap offer" {
		t.Errorf("Subject fields %q, want one, tagged:\n%s", s, got)
	}
	if p := m.Header.Get("X-Spam-Prev-Subject"); p != "cheap offer" {
		t.Errorf("X-Spam-Prev-Subject %q:\n%s", p, got)
	}
	if m.Header.Get("X-Spam-Flag") != "YES" {
		t.Errorf("no X-Spam-Flag: YES:\n%s", got)
	}
}
