package mime

import (
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	seeds := []string{
		nestedMsg,
		crlf(nestedMsg),
		"Content-Type: message/rfc822\n\nSubject: inner\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\n--x--\n",
		"Content-Transfer-Encoding: base64\n\naGVsbG8*!=\n=aGk\n",
		"Subject: =?EUC-KR?B?vsiz58fPvLy/5CC8vLDo?=\nContent-Type: text/plain; charset=euc-kr\n\n\xbe\xc8\xb3\xe7\n",
		"Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkT0AkMyYbKEI=?=\nContent-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B$3$s\x1b(B\n",
		manyParts(50),
		nestMultipart(30),
		"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=a\n\n--a--\n--a\n",
		"Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n<a href=3D\"http://x.test/\">=\n</a>=",
		"Content-Type: text/plain\nContent-Transfer-Encoding: x-uue\n\nbegin 644 a\n&:&5L;&\\*\n`\nend\n",
		"Content-Disposition: attachment; filename*0*=utf-8''%E2; filename*1*=%82%AC\n\n",
		"From x\n",
		"\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxDepth: 8, MaxParts: 64, MaxHeaders: 64, MaxTextBytes: 4096}
		m, err := Parse(strings.NewReader(string(data)), int64(len(data)), lim)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		checkTree(t, m, lim)
		for _, r := range m.Readings()[1:] {
			checkTree(t, r, lim)
			_ = r.Text()
		}
		_ = m.Text()
		for _, u := range m.URIs() {
			if !utf8.ValidString(u) && !strings.HasPrefix(u, "http") && !strings.HasPrefix(u, "ftp") && !strings.HasPrefix(u, "mailto") {
				t.Errorf("odd URI %q", u)
			}
		}
		for _, p := range m.Parts {
			if _, err := io.Copy(io.Discard, p.Open()); err != nil {
				t.Errorf("Open: %v", err)
			}
			if n, _ := io.Copy(io.Discard, p.Raw()); n != p.BodyEnd-p.BodyStart {
				t.Errorf("Raw read %d bytes, span %d", n, p.BodyEnd-p.BodyStart)
			}
		}
	})
}

// checkTree verifies the offset and limit invariants of a parsed message.
func checkTree(t *testing.T, m *Message, lim Limits) {
	t.Helper()
	if len(m.Parts) > lim.MaxParts {
		t.Errorf("%d parts > %d", len(m.Parts), lim.MaxParts)
	}
	for _, p := range m.Parts {
		if !(0 <= p.HeaderStart && p.HeaderStart <= p.BodyStart && p.BodyStart <= p.BodyEnd && p.BodyEnd <= m.Size) {
			t.Errorf("part %s spans %d/%d/%d of %d", p.MediaType, p.HeaderStart, p.BodyStart, p.BodyEnd, m.Size)
		}
		if p.Depth > lim.MaxDepth {
			t.Errorf("depth %d > %d", p.Depth, lim.MaxDepth)
		}
		if len(p.Header) > lim.MaxHeaders {
			t.Errorf("%d fields > %d", len(p.Header), lim.MaxHeaders)
		}
		for _, c := range p.Children {
			if c.HeaderStart < p.BodyStart || c.BodyEnd > p.BodyEnd || c.Depth != p.Depth+1 {
				t.Errorf("child %d..%d outside parent body %d..%d", c.HeaderStart, c.BodyEnd, p.BodyStart, p.BodyEnd)
			}
		}
	}
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{
		"<p>Hello&nbsp;<b>world</b></p>", "<script>x</script>y", "<img alt=a src=b>",
		"<meta http-equiv=refresh content='0;url=http://x.test'>", "<a href='\n'>", "<noscript><noscript>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		text, links := HTMLToText(data)
		if len(text) > 4*len(data)+16 {
			t.Errorf("text %d bytes from %d bytes of HTML", len(text), len(data))
		}
		for _, l := range links {
			if strings.ContainsAny(l, "\r\n\t") {
				t.Errorf("link %q keeps a line break", l)
			}
		}
	})
}

func FuzzDecodeHeader(f *testing.F) {
	for _, s := range []string{
		"=?EUC-KR?B?vsiz58fPvLy/5CC8vLDo?=", "=?utf-8?q?a_b?= =?utf-8?q?c?=", "=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkT0AkMyYbKEI=?=",
		"=?", "=??=", "=?x?b??=", "=?utf-8*en?Q?=E2=82?= =?utf-8?Q?=AC?=", "caf\xe9 =?",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := DecodeHeader(s)
		if !utf8.ValidString(out) {
			t.Errorf("DecodeHeader(%q) = %q, not UTF-8", s, out)
		}
	})
}
