package mime

import (
	"fmt"
	"strings"
	"testing"
)

func TestFlags(t *testing.T) {
	tests := []struct {
		name      string
		msg       string
		lim       Limits
		want      Flag
		ambiguous bool
	}{
		{"missing final boundary", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=a\n\n--a\n\nx\n", Limits{}, FlagMissingFinalBoundary, false},
		{"inner missing final", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--a--\n", Limits{}, FlagMissingFinalBoundary, false},
		{"duplicate content-type", "MIME-Version: 1.0\nContent-Type: text/plain\nContent-Type: text/html\n\nx", Limits{}, FlagDuplicateContentType, true},
		{"duplicate cte", "MIME-Version: 1.0\nContent-Transfer-Encoding: base64\nContent-Transfer-Encoding: 7bit\n\nx", Limits{}, FlagDuplicateTransferEncoding, true},
		{"duplicate boundary nested", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=a\n\n--a\n\nx\n--a--\n", Limits{}, FlagDuplicateBoundary, true},
		{"boundary prefix of outer", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=abc\n\n--abc\nContent-Type: multipart/mixed; boundary=ab\n\n--ab\n\nx\n--ab--\n--abc--\n", Limits{}, FlagDuplicateBoundary, true},
		{"two boundary params", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=a; boundary=b\n\n--a\n\nx\n--a--\n", Limits{}, FlagDuplicateBoundary, true},
		{"duplicate param", "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8; charset=koi8-r\n\nx", Limits{}, FlagDuplicateParam, true},
		{"boundary with trailing text", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=a\n\n--a\n\nx\n--aXYZ\n\ny\n--a--\n", Limits{}, FlagBoundaryPrefix, true},
		{"bad base64", "MIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\naGVsbG8*!\n", Limits{}, FlagBadBase64, false},
		{"base64 short quantum", "MIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\naGVsb\n", Limits{}, FlagBadBase64, false},
		{"nul in header", "Subject: a\x00b\n\nx", Limits{}, FlagNULInHeader, true},
		{"8bit header", "Subject: caf\xe9\n\nx", Limits{}, Flag8BitHeader, false},
		{"missing mime-version", "Content-Type: text/html\n\nx", Limits{}, FlagMissingMIMEVersion, false},
		{"bare lf", "MIME-Version: 1.0\r\nSubject: x\n\r\nbody\r\n", Limits{}, FlagBareLF, false},
		{"truncated header", "Subject: x\nFrom: y", Limits{}, FlagTruncatedHeader, false},
		{"missing header separator", "Subject: x\nthis is body\n", Limits{}, FlagMissingHeaderSeparator, false},
		{"missing boundary", "MIME-Version: 1.0\nContent-Type: multipart/mixed\n\nx", Limits{}, FlagMissingBoundary, false},
		{"bad content type", "MIME-Version: 1.0\nContent-Type: nonsense\n\nx", Limits{}, FlagBadContentType, false},
		{"long header", "Subject: " + strings.Repeat("x", maxFieldBytes+10) + "\n\nx", Limits{}, FlagLongHeader, false},
		{"depth limit", nestMultipart(5), Limits{MaxDepth: 3}, FlagDepthLimit, false},
		{"part limit", manyParts(20), Limits{MaxParts: 10}, FlagPartLimit, false},
		{"header limit", strings.Repeat("X-A: b\n", 20) + "\nx", Limits{MaxHeaders: 10}, FlagHeaderLimit, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(strings.NewReader(tt.msg), int64(len(tt.msg)), tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			if !m.HasFlag(tt.want) {
				t.Errorf("flags %v, want %s", m.Flags, tt.want)
			}
			if m.Ambiguous() != tt.ambiguous {
				t.Errorf("Ambiguous() = %v, want %v (flags %v)", m.Ambiguous(), tt.ambiguous, m.Flags)
			}
		})
	}
}

func TestCleanMessageHasNoFlags(t *testing.T) {
	for _, msg := range []string{crlf(nestedMsg), "MIME-Version: 1.0\r\nSubject: hi\r\n\r\nbody\r\n"} {
		if m := parseString(t, msg); len(m.Flags) != 0 {
			t.Errorf("flags %v on a clean message", m.Flags)
		}
	}
}

func TestLimitsBoundTheTree(t *testing.T) {
	m := parseString(t, manyParts(3000))
	if len(m.Parts) != DefaultMaxParts {
		t.Errorf("%d parts, want the limit %d", len(m.Parts), DefaultMaxParts)
	}
	m = parseString(t, nestMultipart(100))
	deepest := 0
	for _, p := range m.Parts {
		deepest = max(deepest, p.Depth)
	}
	if deepest > DefaultMaxDepth {
		t.Errorf("depth %d beyond the limit %d", deepest, DefaultMaxDepth)
	}
	m = parseString(t, strings.Repeat("X-A: b\n", 3000)+"\nx")
	if len(m.Header) != DefaultMaxHeaders {
		t.Errorf("%d header fields, want %d", len(m.Header), DefaultMaxHeaders)
	}
}

// nestMultipart builds n multiparts nested in each other.
func nestMultipart(n int) string {
	var b strings.Builder
	b.WriteString("MIME-Version: 1.0\n")
	for i := range n {
		bd := fmt.Sprintf("lvl%03d", i)
		b.WriteString("Content-Type: multipart/mixed; boundary=" + bd + "\n\n--" + bd + "\n")
	}
	b.WriteString("\ninnermost\n")
	for i := n - 1; i >= 0; i-- {
		b.WriteString(fmt.Sprintf("--lvl%03d--\n", i))
	}
	return b.String()
}

// manyParts builds a multipart/mixed with n text parts.
func manyParts(n int) string {
	var b strings.Builder
	b.WriteString("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=sep\n\n")
	for range n {
		b.WriteString("--sep\nContent-Type: text/plain\n\npart\n")
	}
	b.WriteString("--sep--\n")
	return b.String()
}

func TestReadings(t *testing.T) {
	tests := []struct {
		name, msg string
		want      []string // shape of each reading
	}{
		{"clean", "MIME-Version: 1.0\nContent-Type: text/plain\n\nx", []string{"text/plain"}},
		{"duplicate content-type", "MIME-Version: 1.0\nContent-Type: text/plain\nContent-Type: application/zip\n\nx",
			[]string{"text/plain", "application/zip"}},
		{"duplicate boundary param", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=a; boundary=b\n\n--a\n\nx\n--b\nContent-Type: text/html\n\ny\n--b--\n--a--\n",
			[]string{"multipart/mixed[text/plain]", "multipart/mixed[text/html]"}},
		{"boundary prefix", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=a\n\n--a\n\nx\n--aXYZ\nContent-Type: application/zip\n\ny\n--a--\n",
			[]string{"multipart/mixed[text/plain]", "multipart/mixed[text/plain,application/zip]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseString(t, tt.msg)
			var got []string
			for _, r := range m.Readings() {
				got = append(got, shape(r.Root))
			}
			if strings.Join(got, " | ") != strings.Join(tt.want, " | ") {
				t.Errorf("readings %q, want %q", got, tt.want)
			}
		})
	}
}
