package action

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"mailwall/internal/envelope"
	"mailwall/internal/scan"
	"mailwall/internal/verdict"
)

func TestPrefixNoInjection(t *testing.T) {
	var p Prefix
	p.Add("X-Spam-Report", "line one\r\nBcc: victim@example.test\nX: y")
	p.Add("Bad\r\nName", "v")
	got := string(p.Bytes())
	for _, l := range strings.Split(strings.TrimSuffix(got, "\r\n"), "\r\n") {
		if !strings.HasPrefix(l, "\t") && !strings.HasPrefix(l, "X-Spam-Report:") && !strings.HasPrefix(l, "BadName:") {
			t.Errorf("injected line %q in %q", l, got)
		}
	}
	if strings.Count(got, "\n") != strings.Count(got, "\r\n") {
		t.Errorf("bare LF in %q", got)
	}
}

func TestPrefixFolds(t *testing.T) {
	var p Prefix
	p.Add("X-Spam-Status", "Yes, score=7.2 required=5.0 tests=AAAAAAAAAAAAAAA,BBBBBBBBBBBBBBBBBBBBBB CCCCCCCCCCCCCCCCCCCC,DDDDDDDDDDDDDD EEEEEEEEEEEEEE FFFFFFFFFFFFFFFFFFFFFF")
	for _, l := range strings.Split(strings.TrimSuffix(string(p.Bytes()), "\r\n"), "\r\n") {
		if len(l) > maxLine {
			t.Errorf("line over %d: %q", maxLine, l)
		}
	}
}

func TestHeaders(t *testing.T) {
	c := &envelope.Conn{RemoteAddr: netip.MustParseAddrPort("192.0.2.7:4000"), Helo: "client.test", TLS: true}
	env := &envelope.Envelope{Rcpts: []envelope.Address{{Local: "u", Domain: "example.test"}}}
	rcv := Received(c, env, "mx.example.test", "ABC123", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	want := "from client.test (unknown [192.0.2.7]) by mx.example.test (mailwall) with ESMTPS id ABC123 for <u@example.test>; Fri, 02 Jan 2026 03:04:05 +0000"
	if rcv != want {
		t.Fatalf("Received = %q\nwant       %q", rcv, want)
	}
	rep := &scan.Report{Results: []*scan.Result{{Headers: []scan.HeaderField{{Name: "X-Virus-Scanned", Value: "mailwall"}}}}}
	got := string(Headers(rcv, verdict.Verdict{Action: verdict.Tag, Spam: true, Unscanned: []string{"SPAM"}}, rep, "mailwall"))
	for _, w := range []string{"Received: from client.test", "X-Virus-Scanned: mailwall\r\n", "X-Mailwall-Unscanned: not scanned by SPAM", "X-Spam-Flag: YES\r\n"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
}
