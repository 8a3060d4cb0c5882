package mime

import (
	"testing"
)

const nestedMsg = `From: a@example.test
To: b@example.test
Subject: nested
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

This is the preamble.
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8

plain body
--inner
Content-Type: text/html; charset=utf-8

<p>html <a href="http://example.test/x">body</a></p>
--inner--
--outer
Content-Type: message/rfc822

Subject: forwarded
Content-Type: text/plain

forwarded body
--outer
Content-Type: application/pdf; name="doc.pdf"
Content-Disposition: attachment; filename="=?utf-8?q?r=C3=A9sum=C3=A9.pdf?="
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer--
epilogue
`

func TestPartTreeShapes(t *testing.T) {
	tests := []struct{ name, msg, want string }{
		{"single part", "Subject: x\n\nhello\n", "text/plain"},
		{"no header", "\nhello\n", "text/plain"},
		{"nested", nestedMsg, "multipart/mixed[multipart/alternative[text/plain,text/html],message/rfc822[text/plain],application/pdf]"},
		{"digest defaults to rfc822", "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d--\n",
			"multipart/digest[message/rfc822[text/plain]]"},
		{"outer boundary closes inner", "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/related; boundary=b\n\n--b\n\nx\n--a\n\ny\n--a--\n",
			"multipart/mixed[multipart/related[text/plain],text/plain]"},
		{"missing boundary param", "Content-Type: multipart/mixed\n\n--a\n\nx\n", "multipart/mixed"},
		{"empty multipart", "Content-Type: multipart/mixed; boundary=a\n\n--a--\n", "multipart/mixed"},
		{"bad content type", "Content-Type: garbage\n\nx", "text/plain"},
		{"encoded rfc822 is a leaf", "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQp4\n", "message/rfc822"},
		{"mbox from line", "From a@b Mon Jan  1 00:00:00 2024\nContent-Type: text/html\n\n<p>x</p>", "text/html"},
		{"obsolete From field is not an mbox line", "From : a@b\nContent-Type: text/html\n\n<p>x</p>", "text/html"},
		{"crlf nested", crlf(nestedMsg), "multipart/mixed[multipart/alternative[text/plain,text/html],message/rfc822[text/plain],application/pdf]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseString(t, tt.msg)
			if got := shape(m.Root); got != tt.want {
				t.Errorf("shape = %s, want %s", got, tt.want)
			}
			if len(m.Parts) == 0 || m.Parts[0] != m.Root {
				t.Errorf("Parts[0] is not Root")
			}
		})
	}
}

func TestOffsets(t *testing.T) {
	for _, tt := range []struct {
		name string
		msg  string
	}{{"lf", nestedMsg}, {"crlf", crlf(nestedMsg)}} {
		t.Run(tt.name, func(t *testing.T) {
			m := parseString(t, tt.msg)
			nl := "\n"
			if tt.name == "crlf" {
				nl = "\r\n"
			}
			want := map[int]string{
				2: "plain body",
				3: `<p>html <a href="http://example.test/x">body</a></p>`,
				5: "forwarded body",
				6: "JVBERi0xLjQK",
				4: "Subject: forwarded" + nl + "Content-Type: text/plain" + nl + nl + "forwarded body",
				1: "--inner" + nl + "Content-Type: text/plain; charset=utf-8" + nl + nl + "plain body" + nl + "--inner" + nl +
					"Content-Type: text/html; charset=utf-8" + nl + nl + `<p>html <a href="http://example.test/x">body</a></p>` + nl + "--inner--",
			}
			for i, w := range want {
				if got := readAll(t, m.Parts[i].Raw()); got != w {
					t.Errorf("part %d (%s) raw = %q, want %q", i, m.Parts[i].MediaType, got, w)
				}
			}
			root := m.Root
			if root.HeaderStart != 0 || root.BodyEnd != int64(len(tt.msg)) {
				t.Errorf("root spans %d..%d, want 0..%d", root.HeaderStart, root.BodyEnd, len(tt.msg))
			}
			if got := readAll(t, m.Parts[6].Open()); got != "%PDF-1.4\n" {
				t.Errorf("decoded pdf = %q", got)
			}
		})
	}
}
