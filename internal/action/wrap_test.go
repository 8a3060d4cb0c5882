package action

import (
	"strings"
	"testing"

	"mailwall/internal/scan"
	"mailwall/internal/verdict"
)

func TestWrapped(t *testing.T) {
	good := &scan.Wrap{Head: []byte("Received: from localhost\r\nX-Spam-Flag: YES\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\r\n"),
		Tail: []byte("\r\n--b--\r\n")}
	tagged := verdict.Verdict{Action: verdict.Tag, Spam: true}
	test := func(name string, v verdict.Verdict, w *scan.Wrap, wantOK bool) {
		t.Run(name, func(t *testing.T) {
			rep := &scan.Report{Results: []*scan.Result{
				{Headers: []scan.HeaderField{{Name: "X-Spam-Flag", Value: "YES"}}, Wrap: w},
				{Headers: []scan.HeaderField{{Name: "X-Virus-Scanned", Value: "clean"}}},
			}}
			prefix, suffix, ok := Wrapped("from a by b", v, rep)
			if ok != wantOK {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			want := "Received: from a by b\r\nReceived: from localhost\r\nX-Spam-Flag: YES\r\n" +
				"Content-Type: multipart/mixed; boundary=\"b\"\r\nX-Virus-Scanned: clean\r\n\r\n--b\r\n\r\n"
			if string(prefix) != want || string(suffix) != "\r\n--b--\r\n" {
				t.Errorf("prefix %q suffix %q", prefix, suffix)
			}
		})
	}
	test("tagged spam", tagged, good, true)
	test("no wrap offered", tagged, nil, false)
	test("not tagged", verdict.Verdict{Action: verdict.Accept}, good, false)
	test("quarantined", verdict.Verdict{Action: verdict.Quarantine, Spam: true}, good, false)
	test("bare LF falls back", tagged, &scan.Wrap{Head: []byte("Received: x\nA: b\r\n\r\n")}, false)
	test("no header end falls back", tagged, &scan.Wrap{Head: []byte(strings.Repeat("A: b\r\n", 3))}, false)
}

// TestAddKeepsFolding: SpamAssassin's one-rule-per-line X-Spam-Report
// keeps its lines; anything else that is not proper folding is flattened.
func TestAddKeepsFolding(t *testing.T) {
	var p Prefix
	p.Add("X-Spam-Report", "\n\t* 1000 GTUBE BODY: Generic Test\n\t*  0.5 OTHER a rule")
	p.Add("X-Bad", "a\nBcc: x@example.test")
	p.Add("X-Blank", "a\n\t\nb")
	want := "X-Spam-Report:\r\n\t* 1000 GTUBE BODY: Generic Test\r\n\t*  0.5 OTHER a rule\r\n" +
		"X-Bad: a Bcc: x@example.test\r\nX-Blank: a b\r\n"
	if got := string(p.Bytes()); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
