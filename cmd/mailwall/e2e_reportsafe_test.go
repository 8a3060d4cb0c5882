package main

import (
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// TestReportSafeOverSMTP: with spam.report_safe 1, serve delivers GTUBE
// as SpamAssassin would: a report with the message attached unchanged as
// message/rfc822, our headers on the new message. Clean mail is not
// wrapped.
func TestReportSafeOverSMTP(t *testing.T) {
	rules := stockRules(t)
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, `antivirus:
  enabled: false
spam:
  rules_dir: `+rules+`
  site_rules_dir: ""
  use_bayes: false
  dns_tests: false
  report_safe: 1
`))
	gtube := gtubeString
	sent := map[string]string{
		"spam":  smtptest.Msg("a@client.test", "u@example.test", "spam", gtube),
		"clean": smtptest.Msg("a@client.test", "u@example.test", "clean", "Hello Bob, see you at lunch tomorrow."),
	}
	for _, subj := range []string{"spam", "clean"} {
		if reply, err := sendMail(g.SMTP, "a@client.test", []string{"u@example.test"}, sent[subj]); err != nil || !queuedRe.MatchString(reply) {
			t.Fatalf("%s: %q %v", subj, reply, err)
		}
	}
	waitMessages(t, sink, 2, 60*time.Second)
	for _, m := range sink.Messages() {
		data := string(m.Data)
		msg, err := mail.ReadMessage(strings.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if msg.Header.Get("Subject") == "clean" {
			if mt == "multipart/mixed" || !strings.HasSuffix(data, sent["clean"]) {
				t.Errorf("clean mail changed:\n%s", data)
			}
			continue
		}
		if mt != "multipart/mixed" || msg.Header.Get("X-Spam-Flag") != "YES" || !strings.HasPrefix(data, "Received: from ") {
			t.Fatalf("spam not wrapped:\n%s", data)
		}
		mr := multipart.NewReader(msg.Body, params["boundary"])
		var types []string
		var original string
		for i := 0; i < 5; i++ {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			types = append(types, p.Header.Get("Content-Type"))
			original = string(b)
		}
		if strings.Join(types, " | ") != "text/plain; charset=UTF-8 | message/rfc822; x-spam-type=original" {
			t.Errorf("parts %q", types)
		}
		// the attached copy is what the client sent (after the CRLF
		// that belongs to the closing boundary)
		if strings.TrimSuffix(original, "\r\n") != strings.TrimSuffix(sent["spam"], "\r\n") {
			t.Errorf("attached original differs:\n%q\nsent\n%q", original, sent["spam"])
		}
	}
}
