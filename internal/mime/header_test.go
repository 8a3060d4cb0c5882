package mime

import (
	"strings"
	"testing"
)

func TestDecodeHeader(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Hello world", "Hello world"},
		{"no injected line break", "=?utf-8?q?a=0D=0ABcc:_x@y?=", "a  Bcc: x@y"},
		{"euc-kr B", "=?EUC-KR?B?vsiz58fPvLy/5CC8vLDo?=", "안녕하세요 세계"},
		{"ks_c_5601 alias", "=?ks_c_5601-1987?B?vsiz58fPvLy/5CC8vLDo?=", "안녕하세요 세계"},
		{"euc-kr split char across words", "=?euc-kr?B?vsiz?= =?euc-kr?B?58fPvLy/5A==?=", "안녕하세요"},
		{"iso-2022-jp", "=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkT0AkMyYbKEI=?=", "こんにちは世界"},
		{"utf-8 Q", "=?UTF-8?Q?Caf=C3=A9_au_lait?=", "Café au lait"},
		{"lower-case q", "=?utf-8?q?na=C3=AFve?=", "naïve"},
		{"adjacent words joined", "=?utf-8?q?foo?= =?utf-8?q?bar?=", "foobar"},
		{"adjacent words without space", "=?utf-8?q?foo?==?utf-8?b?YmFy?=", "foobar"},
		{"adjacent words folded", "=?utf-8?q?foo?=\r\n\t=?utf-8?q?bar?=", "foobar"},
		{"text between words kept", "=?utf-8?q?foo?= and =?utf-8?q?bar?=", "foo and bar"},
		{"word glued to text", "Re:=?utf-8?q?Hallo?=", "Re:Hallo"},
		{"text after word", "=?utf-8?q?Hallo?= Welt", "Hallo Welt"},
		{"B without padding", "=?utf-8?b?w6k?=", "é"},
		{"mixed charsets", "=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", "éé"},
		{"language suffix", "=?utf-8*en?q?hi?=", "hi"},
		{"unknown encoding left", "=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
		{"unterminated left", "=?utf-8?q?abc", "=?utf-8?q?abc"},
		{"unknown charset latin1", "=?x-nope?q?caf=E9?=", "café"},
		{"raw 8-bit latin1", "caf\xe9", "café"},
		{"raw utf-8", "café", "café"},
		{"koi8-r", "=?koi8-r?q?=F0=D2=C9=D7=C5=D4?=", "Привет"},
		{"shift_jis", "=?shift_jis?b?k/qWe4zq?=", "日本語"},
		{"gb2312", "=?gb2312?b?1tDOxA==?=", "中文"},
		{"big5", "=?big5?b?pKSk5Q==?=", "中文"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecodeHeader(tt.in); got != tt.want {
				t.Errorf("DecodeHeader(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeCharset(t *testing.T) {
	tests := []struct {
		in, charset, want string
	}{
		{"abc", "", "abc"},
		{"caf\xe9", "iso-8859-1", "café"},
		{"caf\xe9", "", "café"},
		{"caf\xc3\xa9", "", "café"},
		{"caf\xc3\xa9", "utf-8", "café"},
		{"\xff", "utf-8", "\uFFFD"},
		{"\xcf\xf0\xe8\xe2\xe5\xf2", "windows-1251", "Привет"},
		{"\x1b$B$3$s$K$A$O@$3&\x1b(B", "iso-2022-jp", "こんにちは世界"},
		{"\xbe\xc8\xb3\xe7", "\"EUC-KR\"", "안녕"},
		{"\xbe\xc8\xb3\xe7", "cp949", "안녕"},
		{"\x80", "windows-1252", "€"},
		{"\xe9", "x-unknown-8bit", "é"},
		{"caf\xc3\xa9", "us-ascii", "café"},
		{"caf\xe9", "us-ascii", "café"},
		{"\xc3\xa9", "iso-8859-1", "Ã©"},
	}
	for _, tt := range tests {
		if got := DecodeCharset([]byte(tt.in), tt.charset); got != tt.want {
			t.Errorf("DecodeCharset(%q, %q) = %q, want %q", tt.in, tt.charset, got, tt.want)
		}
	}
}

func TestHeaderLookups(t *testing.T) {
	m := parseString(t, "Subject: =?utf-8?q?caf=C3=A9?=\r\nreceived: a\r\nReceived: b\r\nX-Folded: one\r\n two\r\n\r\nbody")
	h := m.Header
	if got := h.Get("subject"); got != "café" {
		t.Errorf("Get = %q", got)
	}
	if got := h.RawValue("SUBJECT"); got != "=?utf-8?q?caf=C3=A9?=" {
		t.Errorf("RawValue = %q", got)
	}
	if got := h.Values("Received"); strings.Join(got, ",") != "a,b" {
		t.Errorf("Values = %q", got)
	}
	if got := h.Count("received"); got != 2 {
		t.Errorf("Count = %d", got)
	}
	if got := h.Get("x-folded"); got != "one two" {
		t.Errorf("folded = %q", got)
	}
	if got := h.Get("missing"); got != "" {
		t.Errorf("missing = %q", got)
	}
}

func TestParams(t *testing.T) {
	tests := []struct {
		in, wantType string
		want         map[string]string
	}{
		{`text/plain; charset="utf-8"`, "text/plain", map[string]string{"charset": "utf-8"}},
		{`Multipart/Mixed; BOUNDARY=abc ; x = "a;b"`, "multipart/mixed", map[string]string{"boundary": "abc", "x": "a;b"}},
		{`attachment; filename*=utf-8''%E2%82%AC%20rates.pdf`, "attachment", map[string]string{"filename": "€ rates.pdf"}},
		{`attachment; filename*0*=iso-8859-1'en'caf%E9; filename*1=".txt"`, "attachment", map[string]string{"filename": "café.txt"}},
		{`attachment; filename*1="b.txt"; filename*0="a"`, "attachment", map[string]string{"filename": "ab.txt"}},
		{`attachment; filename="a\"b.txt`, "attachment", map[string]string{"filename": `a"b.txt`}},
		{`text/plain; name=my file.txt`, "text/plain", map[string]string{"name": "my file.txt"}},
		{`text/html (generated); charset=utf-8`, "text/html", map[string]string{"charset": "utf-8"}},
	}
	for _, tt := range tests {
		mt, params, _ := parseMediaHeader(tt.in, false)
		if mt != tt.wantType {
			t.Errorf("%q: type %q, want %q", tt.in, mt, tt.wantType)
		}
		for k, v := range tt.want {
			if params[k] != v {
				t.Errorf("%q: %s = %q, want %q", tt.in, k, params[k], v)
			}
		}
	}
}

func TestMboxFromLine(t *testing.T) {
	m := parseString(t, "From a@b.test Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody")
	if m.Header.Count("From") != 0 || m.Header.Get("Subject") != "x" || m.Root.HeaderStart == 0 {
		t.Errorf("mbox line not skipped: %+v", m.Header)
	}
	m = parseString(t, "From : a@b.test\nSubject: x\n\nbody")
	if m.Header.Get("From") != "a@b.test" || m.Header.Get("Subject") != "x" {
		t.Errorf("obsolete From field lost: %+v", m.Header)
	}
}

func TestRaw8BitHeaderUsesPartCharset(t *testing.T) {
	m := parseString(t, "Subject: \xbe\xc8\xb3\xe7\nContent-Type: text/plain; charset=euc-kr\n\nx")
	if got := m.Header.Get("Subject"); got != "안녕" {
		t.Errorf("Subject = %q", got)
	}
	m = parseString(t, "Subject: caf\xc3\xa9\nContent-Type: text/plain; charset=euc-kr\n\nx")
	if got := m.Header.Get("Subject"); got != "café" {
		t.Errorf("UTF-8 Subject = %q", got)
	}
}
