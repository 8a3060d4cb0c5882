package gateway

import (
	"bytes"
	"context"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"mailwall/internal/sarules"
	"mailwall/internal/scan"
	"mailwall/internal/scan/spam"
	"mailwall/internal/verdict"
)

// avClean is another scanner whose header must reach the outer header.
func avClean(context.Context, *scan.Task) (*scan.Result, error) {
	return &scan.Result{Headers: []scan.HeaderField{{Name: "X-Virus-Scanned", Value: "clean"}}}, nil
}

// TestTaggedSpamReportSafe: with report_safe 1 a tagged spam is delivered
// as a report with the original attached unchanged; ham is not wrapped.
func TestTaggedSpamReportSafe(t *testing.T) {
	rs, diags := sarules.LoadText("body PILLS /cheap pills/\nscore PILLS 8\n" +
		"add_header spam Flag _YESNOCAPS_\nclear_report_template\nreport Spam, _SCORE_ points.\n")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	eng := &spam.Engine{Rules: rs, Local: true, ReportSafe: 1}
	vc := verdict.Config{TagScore: 5}
	h := newHarness(t, &vc, eng, scannerFunc{"AV", avClean})
	spamMsg := "Subject: offer\r\nFrom: <a@client.test>\r\n\r\ncheap pills\r\n"
	if _, err := h.send(t, spamMsg); err != nil {
		t.Fatal(err)
	}
	if _, err := h.send(t, testMsg); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 2 {
		select {
		case <-h.d.done:
		case <-time.After(30 * time.Second):
			t.Fatal("not delivered")
		}
	}
	for _, b := range h.d.got {
		got = append(got, string(b))
	}
	var wrapped, plain string
	for _, g := range got {
		if strings.Contains(g, "cheap pills") {
			wrapped = g
		} else {
			plain = g
		}
	}
	if !strings.HasSuffix(plain, testMsg) || strings.Contains(plain, "multipart") {
		t.Errorf("ham changed:\n%s", plain)
	}
	if !strings.HasPrefix(wrapped, "Received: from client.test") || bytes.Contains(bytes.ReplaceAll([]byte(wrapped), []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("wrapped spam: not our Received first, or bare LF:\n%q", wrapped)
	}
	m, err := mail.ReadMessage(strings.NewReader(wrapped))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("X-Spam-Flag") != "YES" || m.Header.Get("X-Virus-Scanned") != "clean" || m.Header.Get("Subject") != "offer" {
		t.Errorf("outer header %v", m.Header)
	}
	mt, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if mt != "multipart/mixed" {
		t.Fatalf("content type %q", mt)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var parts []string
	for i := 0; i < 5; i++ {
		p, err := mr.NextRawPart()
		if err != nil {
			break
		}
		var b bytes.Buffer
		b.ReadFrom(p)
		parts = append(parts, p.Header.Get("Content-Type")+"|"+b.String())
	}
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "text/plain; charset=UTF-8|Spam, 8.0 points.") ||
		parts[1] != "message/rfc822; x-spam-type=original|"+spamMsg {
		t.Errorf("parts %q", parts)
	}
}
