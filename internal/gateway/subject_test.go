package gateway

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"mailwall/internal/sarules"
	"mailwall/internal/scan"
	"mailwall/internal/scan/spam"
	"mailwall/internal/verdict"
)

const pillRules = "body PILLS /cheap pills/\nscore PILLS 8\nadd_header all Status _YESNO_, score=_SCORE_\n"

// deliverOne sends msg through a gateway whose spam engine has rules and
// report_safe mode, and returns the delivered message with our Received
// field (which holds the ID and the time) made "Received: X".
func deliverOne(t *testing.T, rules string, mode int, msg string) string {
	t.Helper()
	rs, diags := sarules.LoadText(rules)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	h := newHarness(t, &verdict.Config{TagScore: 5}, &spam.Engine{Rules: rs, Local: true, ReportSafe: mode},
		scannerFunc{"AV", avClean})
	if _, err := h.send(t, msg); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.d.done:
	case <-time.After(30 * time.Second):
		t.Fatal("not delivered")
	}
	h.d.mu.Lock()
	defer h.d.mu.Unlock()
	return received.ReplaceAllString(string(h.d.got[0]), "Received: X\r\n")
}

var received = regexp.MustCompile(`^Received: [^\r]*\r\n(?:\t[^\r]*\r\n)*`)

// TestTaggedSpamSubjectRewritten: with rewrite_header Subject (and
// report_safe 0) a tagged spam goes out as it did without the setting,
// but for its Subject fields: gone from where they were, rewritten as
// SpamAssassin does at the end of our header fields. Ham is unchanged.
func TestTaggedSpamSubjectRewritten(t *testing.T) {
	const rewrite = "rewrite_header Subject *****SPAM***** _SCORE_\n"
	test := func(name, msg, oldField, newField string) {
		t.Run(name, func(t *testing.T) {
			before := deliverOne(t, pillRules, 0, msg)
			prefix, ok := strings.CutSuffix(before, msg)
			if !ok {
				t.Fatalf("without rewrite_header: %q", before)
			}
			rest := strings.Replace(msg, oldField, "", 1)
			want := prefix + newField + rest
			if got := deliverOne(t, pillRules+rewrite, 0, msg); got != want {
				t.Errorf("delivered\n%q\nwant\n%q", got, want)
			}
		})
	}
	test("plain", "Subject: offer\r\nFrom: <a@client.test>\r\n\r\ncheap pills\r\n",
		"Subject: offer\r\n", "Subject: *****SPAM***** 8.0 offer\r\nX-Spam-Prev-Subject: offer\r\n")
	test("folded, encoded words", "From: <a@client.test>\r\nSubject: =?UTF-8?B?w6lsw6k=?=\r\n =?UTF-8?Q?_pills?=\r\nTo: <u@example.test>\r\n\r\ncheap pills\r\n",
		"Subject: =?UTF-8?B?w6lsw6k=?=\r\n =?UTF-8?Q?_pills?=\r\n", "Subject: *****SPAM***** 8.0 =?UTF-8?B?w6lsw6k=?=\r\n =?UTF-8?Q?_pills?=\r\nX-Spam-Prev-Subject: =?UTF-8?B?w6lsw6k=?=\r\n")
	test("no subject", "From: <a@client.test>\r\n\r\ncheap pills\r\n", "", "Subject: *****SPAM***** 8.0 \r\nX-Spam-Prev-Subject: (nonexistent)\r\n")
	test("ham", testMsg, "", "")
}

// TestReportSafeSubjectRewritten: with report_safe 1 the wrapper's
// header carries the rewritten Subject (as SpamAssassin's
// rewrite_report_safe) and the attached original keeps its own.
func TestReportSafeSubjectRewritten(t *testing.T) {
	msg := "Subject: offer\r\nFrom: <a@client.test>\r\n\r\ncheap pills\r\n"
	got := deliverOne(t, pillRules+"rewrite_header Subject [SPAM]\n", 1, msg)
	m, err := mail.ReadMessage(strings.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Header["Subject"]; len(s) != 1 || s[0] != "[SPAM] offer" {
		t.Errorf("wrapper Subject %q", s)
	}
	if !strings.Contains(got, "\r\n\r\n"+msg+"\r\n--") {
		t.Errorf("original not attached unchanged:\n%s", got)
	}
}

// TestSplitSubjectRewrite: recipients that disagree each get their own
// copy; only the tagged one has its Subject rewritten.
func TestSplitSubjectRewrite(t *testing.T) {
	h := newSplitHarness(t, prefs(), 6)
	h.gw.scanners = []scan.Scanner{scannerFunc{verdict.ScannerSpam, func(context.Context, *scan.Task) (*scan.Result, error) {
		return &scan.Result{Score: 6, Threshold: 5, SubjectTag: "[SPAM]"}, nil
	}}}
	if _, err := h.sendToAll(t, "a@tag5.test", "b@tag10.test", "c@off.test"); err != nil {
		t.Fatalf("refused: %v", err)
	}
	got := h.d.wait(t, 3)
	if a := got["a@tag5.test"]; !strings.HasSuffix(a, "\r\nSubject: [SPAM] hi\r\nX-Spam-Prev-Subject: hi\r\n"+strings.Replace(testMsg, "Subject: hi\r\n", "", 1)) ||
		strings.Count(a, "\nSubject:") != 1 {
		t.Errorf("tagged copy %q", a)
	}
	for _, r := range []string{"b@tag10.test", "c@off.test"} {
		if !strings.HasSuffix(got[r], testMsg) || strings.Count(got[r], "Subject:") != 1 {
			t.Errorf("%s got %q", r, got[r])
		}
	}
}
