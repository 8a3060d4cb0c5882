package main

import (
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// subjectGateway runs serve with the stock rules, a site rules directory
// whose local.cf holds localCF, and spam.report_safe mode; it returns the
// gateway and its sink.
func subjectGateway(t *testing.T, localCF string, mode string) (*gatewayProc, *smtptest.Sink) {
	t.Helper()
	rules := stockRules(t)
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	if err := os.Mkdir(site, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "local.cf"), []byte(localCF), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, `spam:
  rules_dir: `+rules+`
  site_rules_dir: `+site+`
  use_bayes: false
  dns_tests: false
  report_safe: `+mode+`
`))
	return g, sink
}

// deliverAll sends each message and returns what the sink got, by
// Message-ID.
func deliverAll(t *testing.T, g *gatewayProc, sink *smtptest.Sink, msgs []string) map[string]string {
	t.Helper()
	for _, m := range msgs {
		if reply, err := sendMail(g.SMTP, "a@client.test", []string{"u@example.test"}, m); err != nil || !queuedRe.MatchString(reply) {
			t.Fatalf("%q %v", reply, err)
		}
	}
	waitMessages(t, sink, len(msgs), 60*time.Second)
	out := map[string]string{}
	for _, m := range sink.Messages() {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		out[msg.Header.Get("Message-Id")] = string(m.Data)
	}
	return out
}

// ourReceived is the Received field serve adds first: its ID and time
// differ from one gateway to another.
var ourReceived = regexp.MustCompile(`^Received: [^\r]*\r\n(?:[ \t][^\r]*\r\n)*`)

// TestRewriteSubjectOverSMTP: with `rewrite_header Subject *****SPAM*****`
// and report_safe 0 in local.cf, serve delivers GTUBE byte for byte as
// it does without the setting, but for the Subject: one field, SpamAssassin's
// "*****SPAM***** " before the original raw value (encoded words and
// folding kept), in place of the original ones; a message without one
// gains one; ham is unchanged.
func TestRewriteSubjectOverSMTP(t *testing.T) {
	const local = "report_safe 0\n"
	msg := func(id, subject, body string) string {
		return "From: <a@client.test>\r\nTo: <u@example.test>\r\n" + subject + "Message-ID: <" + id + "@test>\r\n" +
			"Date: Mon, 23 Nov 2026 08:00:00 +0000\r\n\r\n" + body + "\r\n"
	}
	cases := []struct {
		id, msg, oldField, newField string
	}{
		{"plain", msg("plain", "Subject: original\r\n", gtubeString), "Subject: original\r\n", "Subject: *****SPAM***** original\r\nX-Spam-Prev-Subject: original\r\n"},
		{"encoded", msg("encoded", "Subject: =?UTF-8?B?w6lsw6k=?= original\r\n", gtubeString),
			"Subject: =?UTF-8?B?w6lsw6k=?= original\r\n", "Subject: *****SPAM***** =?UTF-8?B?w6lsw6k=?= original\r\nX-Spam-Prev-Subject: =?UTF-8?B?w6lsw6k=?= original\r\n"},
		{"folded", msg("folded", "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\t=?UTF-8?Q?_original?=\r\n  third line\r\n", gtubeString),
			"Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\t=?UTF-8?Q?_original?=\r\n  third line\r\n",
			"Subject: *****SPAM***** =?UTF-8?Q?caf=C3=A9?=\r\n\t=?UTF-8?Q?_original?=\r\n  third line\r\nX-Spam-Prev-Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"},
		{"none", msg("none", "", gtubeString), "", "Subject: *****SPAM***** \r\nX-Spam-Prev-Subject: (nonexistent)\r\n"},
		{"ham", msg("ham", "Subject: lunch\r\n", "Hello Bob, see you at lunch tomorrow."), "", ""},
	}
	var msgs []string
	for _, c := range cases {
		msgs = append(msgs, c.msg)
	}
	g, sink := subjectGateway(t, local, "0")
	before := deliverAll(t, g, sink, msgs)
	g.stop(t)
	g, sink = subjectGateway(t, local+"rewrite_header Subject *****SPAM*****\n", "0")
	after := deliverAll(t, g, sink, msgs)
	for _, c := range cases {
		id := "<" + c.id + "@test>"
		prefix, ok := strings.CutSuffix(before[id], c.msg)
		if !ok {
			t.Fatalf("%s: without rewrite_header not prefix + message:\n%q", c.id, before[id])
		}
		want := ourReceived.ReplaceAllString(prefix, "") + c.newField + strings.Replace(c.msg, c.oldField, "", 1)
		if got := ourReceived.ReplaceAllString(after[id], ""); got != want {
			t.Errorf("%s: delivered\n%q\nwant\n%q", c.id, got, want)
		}
		m, err := mail.ReadMessage(strings.NewReader(after[id]))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(m.Header["Subject"]); n != 1 {
			t.Errorf("%s: %d Subject fields", c.id, n)
		}
	}
	if s := after["<plain@test>"]; !strings.Contains(s, "\r\nSubject: *****SPAM***** original\r\n") || !strings.Contains(s, "X-Spam-Flag: YES") {
		t.Errorf("plain GTUBE:\n%s", s)
	}
}

// TestRewriteSubjectReportSafeOverSMTP: with report_safe 1 GTUBE is
// still wrapped; the wrapper's Subject is rewritten as SpamAssassin's
// rewrite_report_safe does, and the attached original keeps its own.
func TestRewriteSubjectReportSafeOverSMTP(t *testing.T) {
	g, sink := subjectGateway(t, "report_safe 1\nrewrite_header Subject *****SPAM*****\n", "1")
	sent := smtptest.Msg("a@client.test", "u@example.test", "=?UTF-8?B?w6lsw6k=?= original", gtubeString)
	var data string
	for _, d := range deliverAll(t, g, sink, []string{sent}) {
		data = d
	}
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if s := msg.Header["Subject"]; len(s) != 1 || s[0] != "*****SPAM***** =?UTF-8?B?w6lsw6k=?= original" {
		t.Errorf("wrapper Subject %q", s)
	}
	mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if mt != "multipart/mixed" {
		t.Fatalf("not wrapped:\n%s", data)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var original string
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		original = string(b)
	}
	if strings.TrimSuffix(original, "\r\n") != strings.TrimSuffix(sent, "\r\n") {
		t.Errorf("attached original differs:\n%q\nsent\n%q", original, sent)
	}
}
