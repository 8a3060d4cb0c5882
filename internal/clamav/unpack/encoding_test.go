package unpack

import (
	"bytes"
	"context"
	"encoding/base64"
	"math/rand"
	"strings"
	"testing"
)

// refBase64 is the digit-by-digit lenient decoder decodeBase64Lenient must
// agree with on every input.
func refBase64(in []byte) []byte {
	var out []byte
	var acc uint32
	n := 0
	for _, c := range in {
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+' || c == '-':
			v = 62
		case c == '/' || c == '_':
			v = 63
		case c == '=':
			return flushBase64(out, acc, n)
		default:
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	return flushBase64(out, acc, n)
}

func TestDecodeBase64LenientMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	alphabet := []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_= \r\n\t.!\x00\xff")
	cases := [][]byte{nil, []byte(""), []byte("="), []byte("QQ"), []byte("QUI"), []byte("QUJD"), []byte("QU\nJD=junk"), []byte("Q=UJD")}
	for i := 0; i < 2000; i++ {
		b := make([]byte, r.Intn(200))
		for k := range b {
			if r.Intn(8) == 0 {
				b[k] = alphabet[r.Intn(len(alphabet))]
			} else {
				b[k] = alphabet[r.Intn(64)]
			}
		}
		cases = append(cases, b)
	}
	payload := make([]byte, 5000)
	r.Read(payload)
	enc := base64.StdEncoding.EncodeToString(payload)
	var lines bytes.Buffer
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	lines.WriteString(enc + "\r\n")
	cases = append(cases, lines.Bytes())
	for i, c := range cases {
		got, want := decodeBase64Lenient(c), refBase64(c)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d %q: got %x, want %x", i, c, got, want)
		}
	}
	if got := decodeBase64Lenient(lines.Bytes()); !bytes.Equal(got, payload) {
		t.Fatalf("wrapped base64 does not round-trip")
	}
}

func BenchmarkDecodeBase64Lenient(b *testing.B) {
	payload := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(payload)
	enc := base64.StdEncoding.EncodeToString(payload)
	var lines bytes.Buffer
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	lines.WriteString(enc)
	in := lines.Bytes()
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		decodeBase64Lenient(in)
	}
}

// refSniffText is sniffText by Unicode lower-casing, the way it reads
// when foldSafe refuses a head.
func refSniffText(h []byte) Kind {
	lines := strings.SplitN(string(h), "\n", 16)
	headers := 0
	for i, l := range lines {
		ll := strings.ToLower(strings.TrimRight(l, "\r"))
		if i == 0 && strings.HasPrefix(ll, "from ") {
			headers++
			continue
		}
		if ll == "" {
			break
		}
		for _, p := range mailHeaders {
			if strings.HasPrefix(ll, p) {
				headers++
				break
			}
		}
	}
	if headers >= 2 {
		return KindMail
	}
	lower := bytes.ToLower(h[:min(len(h), 1024)])
	for _, tag := range htmlSniffTags {
		if bytes.Contains(lower, []byte(tag)) {
			return KindHTML
		}
	}
	if findUUBegin(h) >= 0 {
		return KindUU
	}
	return KindNone
}

func TestFoldingMatchesLowerCasing(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	pieces := []string{"From ", "from:", "TO: x", "Subject: y", "X-Y: z", "\n", "\r\n", "\n\n", "<HTML>", "<a HREF=", "<IfRaMe",
		"data:", "DATA:", "DaTa:text/plain;BASE64,QUJD", "begin 644 f\n", "\xc3\xa9", "\xff", "\xc4\xb0", "\xe2\x84\xaa", "<", "<<", "ht", "ml", " ", "a"}
	for i := 0; i < 3000; i++ {
		var b bytes.Buffer
		for k := r.Intn(40); k > 0; k-- {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		if r.Intn(4) == 0 {
			b.Write(bytes.Repeat([]byte("x"), 1000+r.Intn(40)))
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		h := b.Bytes()
		if got, want := sniffText(h), refSniffText(h); got != want {
			t.Fatalf("sniffText(%q) = %v, want %v", h, got, want)
		}
		if !foldSafe(h) {
			continue
		}
		for _, n := range []string{"data:", "<html", "<a href", "x", "ml"} {
			ascii := !bytes.ContainsFunc(h, func(r rune) bool { return r >= 0x80 })
			if got, want := indexFold(h, n), bytes.Index(bytes.ToLower(h), []byte(n)); ascii && got != want || (got < 0) != (want < 0) {
				t.Fatalf("indexFold(%q, %q) = %d, want %d", h, n, got, want)
			}
		}
	}
}

// TestReusedMailBuffers: with ReuseBuffers, base64 parts decode into
// recycled buffers and each member still holds its own bytes while its
// emit runs.
func TestReusedMailBuffers(t *testing.T) {
	var msg bytes.Buffer
	msg.WriteString("From: a\nSubject: b\nContent-Type: multipart/mixed; boundary=z\n\n")
	var want []string
	for i := 0; i < 20; i++ {
		p := strings.Repeat(string(rune('a'+i)), 100+i*37)
		want = append(want, p)
		msg.WriteString("--z\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString([]byte(p)) + "\n")
	}
	msg.WriteString("--z--\n")
	for _, reuse := range []bool{false, true} {
		b := bigBudget()
		if reuse {
			b.ReuseBuffers()
		}
		var got []string
		err := Extract(context.Background(), KindMail, msg.Bytes(), b, func(e Entry) error {
			got = append(got, string(e.Data))
			return nil
		})
		if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("reuse=%v: %v %q", reuse, err, got)
		}
	}
}
