package main

import (
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// TestSpamRBLOverSMTP: with spam.dns_tests on, serve asks dns.servers (a
// fake zone here) about the relays of the Received path, and a listed
// relay fires the stock RCVD_IN_SBL rule in the delivered message's
// X-Spam-Status.
func TestSpamRBLOverSMTP(t *testing.T) {
	rules := stockRules(t)
	d := smtptest.StartDNS(t, []string{"7.113.0.203.zen.spamhaus.org. 300 IN A 127.0.0.2"})
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, `antivirus:
  enabled: false
spam:
  rules_dir: `+rules+`
  site_rules_dir: ""
  use_bayes: false
  dns_tests: true
  dns_timeout: 20s
dns:
  servers: ["`+d.Addr+`"]
  timeout: 2s
`))
	msg := "Received: from mail.sender.example (mail.sender.example [203.0.113.7])\r\n" +
		"\tby relay.client.test (Postfix) with ESMTP id 4AB12C3D4E;\r\n" +
		"\tMon, 1 Jan 2024 10:00:00 +0000\r\n" +
		smtptest.Msg("a@client.test", "u@example.test", "report", "Hello Bob, the report is attached.")
	if reply, err := sendMail(g.SMTP, "a@client.test", []string{"u@example.test"}, msg); err != nil || !queuedRe.MatchString(reply) {
		t.Fatalf("send: %q %v", reply, err)
	}
	waitMessages(t, sink, 1, 60*time.Second)
	data := string(sink.Messages()[0].Data)
	hdr := data[:strings.Index(data, "\r\n\r\n")]
	status := ""
	for _, line := range strings.Split(strings.ReplaceAll(hdr, "\r\n\t", " "), "\r\n") {
		if strings.HasPrefix(line, "X-Spam-Status:") {
			status = line
		}
	}
	if !strings.Contains(status, "RCVD_IN_SBL") {
		t.Errorf("X-Spam-Status without RCVD_IN_SBL:\n%s", hdr)
	}
	if d.Queries() == 0 {
		t.Error("the fake DNS zone was never asked")
	}
}
