package sarules

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzRewrite: whatever the message, every report_safe mode returns
// without panicking, a wrapped spam holds the original byte for byte
// between head and tail, and a CRLF message gains no bare LF.
func FuzzRewrite(f *testing.F) {
	f.Add([]byte(gtubeMsg))
	f.Add([]byte(gtubeHTML))
	f.Add([]byte(strings.ReplaceAll(gtubeMsg, "\n", "\r\n")))
	f.Add([]byte("From x@y Thu Jan  1 00:00:00 2026\nSubject: test\n\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"))
	f.Add([]byte("X-Spam-Status: x\n \n\tSubject: test\nTo:\n--b\n"))
	rs, diags := LoadText(testRules + "rewrite_header Subject [SPAM]\nrewrite_header From spam\nrewrite_header To spam\n")
	if len(diags) > 0 {
		f.Fatal(diags)
	}
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, raw []byte) {
		res := check(rs, string(raw))
		for mode := 0; mode <= 2; mode++ {
			out := res.RewriteMode(raw, mode, now)
			if res.IsSpam && mode > 0 {
				body := raw
				if bytes.HasPrefix(body, []byte("From ")) { // the mbox line stays outside
					_, body, _ = bytes.Cut(body, []byte("\n"))
				}
				i := bytes.LastIndex(out, body)
				if i < 0 || !bytes.HasPrefix(bytes.TrimLeft(out[i+len(body):], "\r\n"), []byte("------------=_")) {
					t.Fatalf("mode %d: original not wrapped whole:\n%q", mode, out)
				}
			}
			crlfOnly := usesCRLF(raw) && !bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n"))
			if crlfOnly && bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) {
				t.Fatalf("mode %d: bare LF added to a CRLF message:\n%q", mode, out)
			}
		}
	})
}
