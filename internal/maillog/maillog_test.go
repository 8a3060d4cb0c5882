package maillog

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLines(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, "mx.example.test", nil)
	l.now = func() time.Time { return time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) }
	tests := []struct {
		e    Event
		want string
	}{
		{VirusFound{ID: "Q1", Name: "Eicar-Test-Signature", Client: "192.0.2.1"}, "Q1: Eicar-Test-Signature FOUND (client=[192.0.2.1])"},
		{Rejected{ID: "C1", Stage: "RCPT", Client: "192.0.2.1", From: "a@b.test", Rcpt: "x@other.test", Code: 550, Enhanced: "5.7.1", Text: "Relay access denied", Reason: "relay_denied"},
			"C1: reject: RCPT from [192.0.2.1]: 550 5.7.1 Relay access denied; reason=relay_denied; from=<a@b.test> to=<x@other.test>"},
		{Queued{ID: "Q2", From: "a@b.test", To: []string{"c@d.test"}, Size: 10, Client: "127.0.0.1", Action: "accept"}, "Q2: queued from=<a@b.test>, size=10, nrcpt=1 (c@d.test), client=[127.0.0.1], score=0.0, action=accept"},
		{Warning{ID: "Q3", Text: "evil\r\n2026 fake line"}, `Q3: warning: evil\r\n2026 fake line`},
	}
	for _, tt := range tests {
		buf.Reset()
		l.Write(tt.e)
		got := strings.TrimSuffix(buf.String(), "\n")
		if !strings.HasSuffix(got, tt.want) || strings.Count(buf.String(), "\n") != 1 {
			t.Errorf("got %q\nwant suffix %q", got, tt.want)
		}
		if !strings.HasPrefix(got, "2026-11-23T08:00:00Z mx.example.test mailwall[") {
			t.Errorf("bad prefix: %q", got)
		}
	}
	var nilLog *Log
	nilLog.Write(Warning{ID: "x"}) // must not panic
}
