package sarules

import (
	"bytes"
	"encoding/base64"
	"math/rand"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// parseFieldsRef is parseFields as first written (a copy per field,
// unfold and rawUnfold byte by byte), the reference for the current one.
func parseFieldsRef(hdr []byte) []Field {
	var out []Field
	var cur []byte
	flush := func() {
		if cur == nil {
			return
		}
		name, val, ok := bytes.Cut(cur, []byte(":"))
		if ok {
			n := strings.TrimRight(string(name), " \t")
			out = append(out, Field{Name: n, Raw: string(val), Value: decodeHeaderValueRef(n, string(val))})
		}
		cur = nil
	}
	for _, line := range bytes.SplitAfter(hdr, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			cur = append(cur, line...)
			continue
		}
		flush()
		cur = append([]byte(nil), line...)
	}
	flush()
	return out
}

func decodeHeaderValueRef(name, raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\n' && i+1 < len(raw) && (raw[i+1] == ' ' || raw[i+1] == '\t') {
			b.WriteByte(' ')
			for i+1 < len(raw) && (raw[i+1] == ' ' || raw[i+1] == '\t') {
				i++
			}
			continue
		}
		b.WriteByte(raw[i])
	}
	v := strings.TrimSpace(b.String())
	switch strings.ToLower(name) {
	case "received", "message-id", "resent-message-id", "date", "resent-date",
		"mime-version", "references", "in-reply-to":
		return v
	}
	if strings.HasPrefix(strings.ToLower(name), "list-") {
		return v
	}
	if strings.Contains(v, "=?") {
		v = decodeRFC2047(v)
	}
	return v
}

func rawUnfoldRef(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && i+1 < len(s) && isSpaceByte(s[i+1]) {
			b.WriteByte(' ')
			for i+1 < len(s) && isSpaceByte(s[i+1]) {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestParseFieldsMatchesReference(t *testing.T) {
	alphabet := []string{"Subject", "Received", "RECEİVED", "List-Id", "DATE", "X", ":", ": ", " ", "\t", "\n", "\n ", "\n\t", "\r", "\v",
		"=?utf-8?q?caf=C3=A9?=", "=?", "a", "é"}
	cases := []string{"", "Subject: x\n", " lead: x\nA: b\n c\n", "A: b", "no colon\nB: c\n"}
	r := rand.New(rand.NewSource(5))
	for i := 0; i < 20000; i++ {
		cases = append(cases, randomText(r, alphabet, r.Intn(16)))
	}
	for _, c := range cases {
		got, want := parseFields([]byte(c)), parseFieldsRef([]byte(c))
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseFields(%q) = %q, want %q", c, got, want)
		}
		for _, f := range got {
			if a, b := rawUnfold(f.Raw), rawUnfoldRef(f.Raw); a != b {
				t.Fatalf("rawUnfold(%q) = %q, want %q", f.Raw, a, b)
			}
		}
	}
}

// TestMultipartWithoutOpeningBoundary: a multipart body in which the
// boundary never opens is one text part, as Message.pm keeps it, not an
// empty message.
func TestMultipartWithoutOpeningBoundary(t *testing.T) {
	raw := "From: a@example.com\r\nSubject: s\r\nContent-Type: multipart/alternative; boundary=\"=B 1\"\r\n\r\n" +
		"This is a multipart MIME message.\r\n\r\n--= B 1\r\nContent-Type: text/plain\r\n\r\nhello there\r\n--= B 1--\r\n"
	m := NewMessage([]byte(raw))
	if len(m.Parts) != 1 || m.Parts[0].MediaType != "text/plain" {
		t.Fatalf("parts %+v, want one text/plain", m.Parts)
	}
	body := strings.Join(m.body, "\n")
	if !strings.Contains(body, "This is a multipart MIME message.") || !strings.Contains(body, "hello there") {
		t.Errorf("body %q: want the whole body as text", body)
	}
}

// TestBodyCharsetNormalized: body rules read text parts recoded to UTF-8
// from their declared charset (SpamAssassin's normalize_charset, on by
// default); rawbody keeps the part's own octets; HTML length counts
// characters.
func TestBodyCharsetNormalized(t *testing.T) {
	latin := "Subject: s\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\ncaf\xe9 noir\n"
	m := NewMessage([]byte(latin))
	if body := strings.Join(m.body, ""); !strings.Contains(body, "caf\xc3\xa9 noir") {
		t.Errorf("latin-1 body %q, want UTF-8 café", body)
	}
	if raw := strings.Join(m.rawbody, ""); !strings.Contains(raw, "caf\xe9 noir") {
		t.Errorf("latin-1 rawbody %q, want the part's octets", raw)
	}
	jp := "Subject: s\nContent-Type: text/plain; charset=ISO-2022-JP\n\n\x1b$B$3$s$K$A$O\x1b(B world\n"
	m = NewMessage([]byte(jp))
	if body := strings.Join(m.body, ""); strings.Contains(body, "\x1b") || !strings.Contains(body, "こんにちは world") {
		t.Errorf("ISO-2022-JP body %q, want UTF-8 text", body)
	}
	html := "Subject: s\nContent-Type: text/html; charset=iso-8859-1\n\n<p>\xe9\xe9\xe9</p>\n"
	m = NewMessage([]byte(html))
	for _, p := range m.Parts {
		if p.html != nil && p.html.length != len("<p>ééé</p>\n")-3 {
			t.Errorf("HTML length %d, want %d characters", p.html.length, len("<p>ééé</p>\n")-3)
		}
	}
}

// TestDecodedTextCRLF: quoted-printable parts, and base64 text parts,
// have CRLF turned into LF when decoded, as Node::decode does; other
// base64 parts keep their bytes.
func TestDecodedTextCRLF(t *testing.T) {
	msg := "Subject: s\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString([]byte("<p>a</p>\r\n<p>b</p>\r\n")) + "\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nx=0D\r\ny\r\n" +
		"\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString([]byte("1\r\n2")) + "\n--b--\n"
	m := NewMessage([]byte(msg))
	var got []string
	for _, p := range m.Parts {
		got = append(got, p.MediaType+" "+strconv.Quote(string(p.Decoded)))
	}
	want := []string{`text/html "<p>a</p>\n<p>b</p>\n"`, `text/plain "x\ny\n"`, `application/octet-stream "1\r\n2"`}
	if !slices.Equal(got, want) {
		t.Errorf("decoded parts\n%q\nwant\n%q", got, want)
	}
}
