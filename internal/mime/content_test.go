package mime

import (
	"strings"
	"testing"
)

func TestAttachmentsAndText(t *testing.T) {
	m := parseString(t, nestedMsg)
	var names []string
	for _, p := range m.Attachments() {
		names = append(names, p.Filename)
	}
	if got := strings.Join(names, "|"); got != "résumé.pdf" {
		t.Errorf("attachments = %q", got)
	}
	var tps []string
	for _, p := range m.TextParts() {
		tps = append(tps, p.MediaType)
	}
	if got := strings.Join(tps, ","); got != "text/plain,text/html,text/plain" {
		t.Errorf("text parts = %s", got)
	}
	if got, want := m.Text(), "plain body\n\nhtml body\n\nforwarded body"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got := m.Parts[6].Text(); got != "" {
		t.Errorf("Text of a pdf = %q", got)
	}
	if m.Root.IsAttachment() || !m.Root.IsMultipart() || m.Parts[2].IsAttachment() || !m.Parts[2].IsText() {
		t.Errorf("predicates wrong")
	}
}

func TestFilenames(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Content-Disposition: attachment; filename=a.zip", "a.zip"},
		{"Content-Type: application/octet-stream; name=\"b.exe\"", "b.exe"},
		{"Content-Type: application/zip; name=c.zip\nContent-Disposition: attachment; filename=d.zip", "d.zip"},
		{"Content-Disposition: attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC.doc", "日本.doc"},
		{"Content-Disposition: attachment;\n filename*0=\"long\";\n filename*1=\"name.txt\"", "longname.txt"},
		{"Content-Disposition: attachment; filename=\"=?EUC-KR?B?vsiz58fPvLy/5A==?=.hwp\"", "안녕하세요.hwp"},
	}
	for _, tt := range tests {
		m := parseString(t, tt.header+"\n\nbody")
		if got := m.Root.Filename; got != tt.want {
			t.Errorf("%q: filename %q, want %q", tt.header, got, tt.want)
		}
		if len(m.Attachments()) != 1 {
			t.Errorf("%q: %d attachments", tt.header, len(m.Attachments()))
		}
	}
}

func TestPartText(t *testing.T) {
	tests := []struct{ name, msg, want string }{
		{"qp utf-8", "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 soft=\nbreak  \n=ZZ end", "café softbreak\n=ZZ end"},
		{"base64 euc-kr", "Content-Type: text/plain; charset=euc-kr\nContent-Transfer-Encoding: base64\n\nvsiz58fP\nvLy/5CC8vLDo\n", "안녕하세요 세계"},
		{"iso-2022-jp 7bit", "Content-Type: text/plain; charset=ISO-2022-JP\n\n\x1b$B$3$s$K$A$O@$3&\x1b(B\n", "こんにちは世界\n"},
		{"crlf normalised", "Content-Type: text/plain\r\n\r\na\r\nb\r\n", "a\nb\n"},
		{"latin1 default", "Subject: x\n\ncaf\xe9", "café"},
		{"html meta charset", "Content-Type: text/html\n\n<meta charset=\"koi8-r\"><p>\xf0\xd2\xc9\xd7\xc5\xd4</p>", "<meta charset=\"koi8-r\"><p>Привет</p>"},
		{"uuencode", "Content-Type: text/plain\nContent-Transfer-Encoding: x-uue\n\nbegin 644 a.txt\n&:&5L;&\\*\n`\nend\n", "hello\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseString(t, tt.msg)
			if got := m.Root.Text(); got != tt.want {
				t.Errorf("Text = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTextLimit(t *testing.T) {
	body := strings.Repeat("a", 5000)
	msg := "Subject: x\n\n" + body
	m, err := Parse(strings.NewReader(msg), int64(len(msg)), Limits{MaxTextBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(m.Root.Text()); got != 100 {
		t.Errorf("text length %d, want 100", got)
	}
}

func TestURIs(t *testing.T) {
	html := `<html><body><a href=" http://Example.test/a?b=1 ">x</a>
<img src="https://img.example.test/p.png" alt="pic"><form action="//forms.example.test/f"></form>
<a href="mailto:sales@example.test">mail</a><a href="#top">top</a><a href="cid:abc">c</a>
<a href="javascript:alert(1)">j</a><a href="http://exa
mple.test/split">s</a><meta http-equiv="refresh" content="0; url=http://refresh.example.test/">
<p>see www.text-in-html.test/page.</p></body></html>`
	text := "Visit http://plain.example.test/path, or (https://paren.example.test/x) or hxxp://evil[.]example.test/p\n" +
		"and HTTP://upper.example.test and http:\\\\back.example.test\\x and www.example.test. mail mailto:a@example.test\n" +
		"not a url: xhttp://no.test shttp, http://, again http://plain.example.test/path\n" +
		"write to bare.addr@example.test. not an address: a@b, @example.test, x@localhost\n"
	msg := "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n" + text +
		"--b\nContent-Type: text/html\n\n" + html + "\n--b--\n"
	m := parseString(t, msg)
	want := []string{
		"http://plain.example.test/path",
		"https://paren.example.test/x",
		"http://evil.example.test/p",
		"http://upper.example.test",
		"http://back.example.test\\x",
		"http://www.example.test",
		"mailto:a@example.test",
		"mailto:bare.addr@example.test",
		"http://Example.test/a?b=1",
		"https://img.example.test/p.png",
		"http://forms.example.test/f",
		"mailto:sales@example.test",
		"http://example.test/split",
		"http://refresh.example.test/",
		"http://www.text-in-html.test/page",
	}
	got := m.URIs()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("URIs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>Hello&nbsp;<b>world</b></p><p>next</p>", "Hello world\nnext"},
		{"<script>var x='<p>no</p>';</script><style>p{}</style>shown", "shown"},
		{"<title>t</title>a<br>b", "a\nb"},
		{"buy <img src=x alt=\"CHEAP PILLS\"> now", "buy CHEAP PILLS now"},
		{"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"<!-- hidden -->x &amp; y &lt;z&gt;", "x & y <z>"},
		{"unclosed <a href='http://x.test'", "unclosed"},
		{"  lots   of\n\n white  ", "lots of white"},
		{"<noscript><b>shown</b> too</noscript>", "shown too"},
	}
	for _, tt := range tests {
		if got, _ := HTMLToText([]byte(tt.in)); got != tt.want {
			t.Errorf("HTMLToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInlineNamedTextIsShown(t *testing.T) {
	m := parseString(t, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; name=a.txt\nContent-Disposition: inline\n\nshown\n--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=b.txt\n\nhidden\n--b--\n")
	if got := m.Text(); got != "shown" {
		t.Errorf("Text = %q", got)
	}
	if n := len(m.Attachments()); n != 2 {
		t.Errorf("%d attachments, want 2", n)
	}
}
