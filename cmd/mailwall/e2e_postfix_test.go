package main

import (
	"fmt"
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
