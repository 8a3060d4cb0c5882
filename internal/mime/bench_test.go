package mime

import (
	"encoding/base64"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// benchMessage builds a typical multipart message of about size bytes:
// a realistic header, plain and HTML alternatives, and a base64 attachment
// that takes the rest.
func benchMessage(size int) string {
	var b strings.Builder
	for i := range 4 {
		fmt.Fprintf(&b, "Received: from relay%d.example.test (relay%d.example.test [192.0.2.%d])\r\n\tby mx.example.test with ESMTPS id abc%d\r\n\tfor <user@example.test>; Mon, 23 Nov 2026 08:00:00 +0000\r\n", i, i, i, i)
	}
	b.WriteString("DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=sel; h=from:to:subject:date;\r\n\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBqdXN0IGJlbmNobWFyayBmaWxsZXI=\r\n")
	b.WriteString("From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.test>\r\nTo: user@example.test\r\n")
	b.WriteString("Subject: =?EUC-KR?B?vsiz58fPvLy/5CC8vLDo?= monthly report\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\n")
	b.WriteString("Message-ID: <bench@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_mixed_0001\"\r\n\r\n")
	b.WriteString("--=_mixed_0001\r\nContent-Type: multipart/alternative; boundary=\"=_alt_0002\"\r\n\r\n")
	b.WriteString("--=_alt_0002\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	for i := range 20 {
		fmt.Fprintf(&b, "Line %d of the report: see https://example.test/report/%d for the caf=C3=A9 details.\r\n", i, i)
	}
	b.WriteString("--=_alt_0002\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>\r\n")
	for i := range 20 {
		fmt.Fprintf(&b, "<p>Line %d of the <b>report</b>: <a href=\"https://example.test/r/%d\">details</a> <img src=\"https://img.example.test/%d.png\" alt=\"chart\"></p>\r\n", i, i, i)
	}
	b.WriteString("</body></html>\r\n--=_alt_0002--\r\n\r\n")
	b.WriteString("--=_mixed_0001\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	rest := max(size-b.Len()-40, 57)
	raw := make([]byte, rest*3/4)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--=_mixed_0001--\r\n")
	return b.String()
}

func benchParse(b *testing.B, msg string, all bool) {
	r := strings.NewReader(msg)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	start := cpuTime()
	n := 0
	for b.Loop() {
		m, err := Parse(r, int64(len(msg)), Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if all {
			_ = m.Text()
			_ = m.URIs()
		}
		n++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
}

// cpuTime returns the process's user+system CPU time in nanoseconds. On a
// shared, loaded machine wall time per op mostly measures waiting for a
// core; CPU time per op measures the work.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkParse10K(b *testing.B)            { benchParse(b, benchMessage(10<<10), false) }
func BenchmarkParseTextURIs10K(b *testing.B)    { benchParse(b, benchMessage(10<<10), true) }
func BenchmarkParse1M(b *testing.B)             { benchParse(b, benchMessage(1<<20), false) }
func BenchmarkParseTextURIs1M(b *testing.B)     { benchParse(b, benchMessage(1<<20), true) }
func BenchmarkParseManyParts1000(b *testing.B)  { benchParse(b, manyParts(1000), false) }
func BenchmarkParseManyParts10000(b *testing.B) { benchParse(b, manyParts(10000), false) }
func BenchmarkParseNested100(b *testing.B)      { benchParse(b, nestMultipart(100), false) }

// Long lines and a huge folded header must stay linear too.
func BenchmarkParseLongLine4M(b *testing.B) {
	benchParse(b, "Subject: "+strings.Repeat("=?utf-8?q?a?= ", 1<<16)+"\r\n\r\n"+strings.Repeat("x", 4<<20), true)
}

func BenchmarkHTMLToText(b *testing.B) {
	m := parseString(b, benchMessage(10<<10))
	html := []byte(m.Parts[3].Text())
	b.SetBytes(int64(len(html)))
	b.ReportAllocs()
	for b.Loop() {
		HTMLToText(html)
	}
}
