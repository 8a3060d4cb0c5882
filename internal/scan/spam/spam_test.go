package spam

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"mailwall/internal/envelope"
	"mailwall/internal/sarules"
	"mailwall/internal/scan"
)

const rules = `
body     CHEAP   /cheap pills/i
describe CHEAP   Sells pills
score    CHEAP   6
add_header all Status "_YESNO_, score=_SCORE_ required=_REQD_ tests=_TESTS_"
`

func TestScan(t *testing.T) {
	rs, diags := sarules.LoadText(rules)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	tests := []struct {
		name      string
		msg       string
		skip      bool
		wantScore float64
		wantSym   string
	}{
		{"spam", "Subject: hi\n\nCheap pills here\n", false, 6, "CHEAP"},
		{"ham", "Subject: hi\n\nhello\n", false, 0, ""},
		{"skipped network", "Subject: hi\n\nCheap pills here\n", true, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Engine{Rules: rs, Local: true}
			if tt.skip {
				e.Skip = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
			}
			task := &scan.Task{
				Conn: &envelope.Conn{RemoteAddr: netip.MustParseAddrPort("192.0.2.1:25")},
				Env:  &envelope.Envelope{From: envelope.Address{Local: "a", Domain: "example.org"}},
				Raw:  strings.NewReader(tt.msg), Size: int64(len(tt.msg)),
			}
			res, err := e.Scan(context.Background(), task)
			if err != nil {
				t.Fatal(err)
			}
			if res.Score != tt.wantScore {
				t.Errorf("score %v, want %v", res.Score, tt.wantScore)
			}
			if tt.wantSym != "" && (len(res.Findings) != 1 || res.Findings[0].Symbol != tt.wantSym || res.Findings[0].Detail != "Sells pills") {
				t.Errorf("findings %v", res.Findings)
			}
			// report_safe 0: a spam also gets X-Spam-Report
			wantHeaders := 1
			if tt.wantSym != "" {
				wantHeaders = 2
			}
			if !tt.skip && (len(res.Headers) != wantHeaders || res.Headers[0].Name != "X-Spam-Status") {
				t.Errorf("headers %v", res.Headers)
			}
			if res.Wrap != nil {
				t.Errorf("wrap offered with report_safe 0")
			}
		})
	}
}

// TestScanOffersWrap: with report_safe 1 a spam comes with a Wrap whose
// head is a multipart/mixed header in the message's line endings.
func TestScanOffersWrap(t *testing.T) {
	rs, diags := sarules.LoadText(rules)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	e := &Engine{Rules: rs, Local: true, ReportSafe: 1}
	for _, msg := range []string{"Subject: hi\r\n\r\nCheap pills here\r\n", "Subject: hi\r\n\r\nhello\r\n"} {
		res, err := e.Scan(context.Background(), &scan.Task{Raw: strings.NewReader(msg), Size: int64(len(msg))})
		if err != nil {
			t.Fatal(err)
		}
		spam := strings.Contains(msg, "pills")
		if (res.Wrap != nil) != spam {
			t.Fatalf("%q: wrap %v", msg, res.Wrap)
		}
		if spam && (!strings.Contains(string(res.Wrap.Head), "Content-Type: multipart/mixed; boundary=") ||
			!strings.HasSuffix(string(res.Wrap.Head), "Content-Type: message/rfc822; x-spam-type=original\r\n"+
				"Content-Description: original message before SpamAssassin\r\nContent-Disposition: inline\r\n"+
				"Content-Transfer-Encoding: 8bit\r\n\r\n") || !strings.HasSuffix(string(res.Wrap.Tail), "--\r\n\r\n")) {
			t.Errorf("wrap %q %q", res.Wrap.Head, res.Wrap.Tail)
		}
	}
}

// TestScanSubjectTag: the rules' rewrite_header Subject comes back
// expanded for the action stage, spam or not (the verdict decides);
// without the setting there is none.
func TestScanSubjectTag(t *testing.T) {
	test := func(name, extra, msg, want string) {
		t.Run(name, func(t *testing.T) {
			rs, diags := sarules.LoadText(rules + extra)
			if len(diags) > 0 {
				t.Fatal(diags)
			}
			e := &Engine{Rules: rs, Local: true}
			res, err := e.Scan(context.Background(), &scan.Task{Raw: strings.NewReader(msg), Size: int64(len(msg))})
			if err != nil {
				t.Fatal(err)
			}
			if res.SubjectTag != want {
				t.Errorf("SubjectTag %q, want %q", res.SubjectTag, want)
			}
		})
	}
	test("spam", "rewrite_header Subject [SPAM _SCORE_/_REQD_]\n", "Subject: hi\n\nCheap pills here\n", "[SPAM 6.0/5.0]")
	test("ham", "rewrite_header Subject [SPAM _SCORE_/_REQD_]\n", "Subject: hi\n\nhello\n", "[SPAM 0.0/5.0]")
	test("not set", "", "Subject: hi\n\nCheap pills here\n", "")
	test("unset again", "rewrite_header Subject [SPAM]\nrewrite_header Subject\n", "Subject: hi\n\nCheap pills here\n", "")
}
