package bayes

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzTokens feeds arbitrary messages through the MIME walk and the
// tokenizer: no panic, and every token is non-empty.
func FuzzTokens(f *testing.F) {
	f.Add([]byte("Subject: hi\r\n\r\nHello World. Visit www.example.com or bob@example.com\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/html\n\n<a href=\"http://e.example\">X</a><script>y</script>\n--x--\n"))
	f.Add([]byte("Content-Transfer-Encoding: base64\n\n4pyTIMOgIGxhIG1vZGU=\n"))
	f.Add([]byte("Received: from a (b [1.2.3.4]) by c with ESMTP id ABCDEF12345 ; Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <20240101100000.ABCDEF1234@x>\n\n\xff\xfe\xc3\xa9\xe6\x97\xa5...--\n"))
	c := New(nil, Options{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, tok := range c.Tokens(InputFromRaw(raw)) {
			if tok == "" {
				t.Fatal("empty token")
			}
		}
	})
}

// reTitleCase is SpamAssassin's IGNORE_TITLE_CASE pattern, the reference
// for the hand-written lowerTitleCase.
var reTitleCase = regexp.MustCompile(`(?:^|\.\s+)([A-Z])([^A-Z]+)(?:\s|$)`)

func lowerTitleCaseRegexp(s string) string {
	idx := reTitleCase.FindAllStringSubmatchIndex(s, -1)
	var b strings.Builder
	last := 0
	for _, m := range idx {
		b.WriteString(s[last:m[0]])
		b.WriteString(" " + string(s[m[2]]+'a'-'A') + s[m[4]:m[5]] + " ")
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func TestLowerTitleCaseMatchesRegexp(t *testing.T) {
	for _, s := range []string{
		"", "Hello", "Hello there", "Hello There", "buy now. Cheap pills", "A", "Ab", "AB c",
		"x.  Yes sir. No", ".Foo bar", ". Foo", "end. X", "Hi. There. You are", "HELLO world",
		"Ab cD", "Ab c", "caf\xc3\xa9. \xc3\x89t\xc3\xa9 Ok", "Mr. Smith went. Home now",
	} {
		if got, want := lowerTitleCase(s), lowerTitleCaseRegexp(s); got != want {
			t.Errorf("lowerTitleCase(%q) = %q, regex gives %q", s, got, want)
		}
	}
}

// FuzzLowerTitleCase holds the hand-written substitution to the regex.
func FuzzLowerTitleCase(f *testing.F) {
	f.Add("Hello there. World Wide. Web")
	f.Add("a. B c. D")
	f.Fuzz(func(t *testing.T, s string) {
		s = cleanLine(s) // what the tokenizer passes in
		if got, want := lowerTitleCase(s), lowerTitleCaseRegexp(s); got != want {
			t.Fatalf("lowerTitleCase(%q) = %q, regex gives %q", s, got, want)
		}
	})
}
