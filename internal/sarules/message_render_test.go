package sarules

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// whitespaceParagraphsRe is SpamAssassin's three substitutions as
// written, the reference for whitespaceParagraphs.
func whitespaceParagraphsRe(t string) string {
	t = regexp.MustCompile(`\n+\s*\n+`).ReplaceAllString(t, "\x00")
	t = regexp.MustCompile(`\s+`).ReplaceAllString(t, " ")
	return strings.ReplaceAll(t, "\x00", "\n")
}

func randomText(r *rand.Rand, alphabet []string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(alphabet[r.Intn(len(alphabet))])
	}
	return b.String()
}

func TestWhitespaceParagraphsMatchesRegexps(t *testing.T) {
	alphabet := []string{"a", "b", " ", "\t", "\n", "\r", "\f", "\v", "\x00", "é", "\xff"}
	cases := []string{"", "a", "\n", "\n\n", " \n \n ", "a\n\nb", "a \n b", "a\n \n\t\nb  ", "\x00\n\x00"}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		cases = append(cases, randomText(r, alphabet, r.Intn(24)))
	}
	for _, c := range cases {
		if got, want := whitespaceParagraphs(c), whitespaceParagraphsRe(c); got != want {
			t.Fatalf("whitespaceParagraphs(%q) = %q, want %q", c, got, want)
		}
	}
}

func TestLowerASCIIMatchesAsciiLower(t *testing.T) {
	for _, s := range []string{"", "abc", "ABC", "aBc", "Ünïcödé ÀB", "\xffZ", strings.Repeat("xY", 100)} {
		if got, want := lowerASCII(s), asciiLower(s); got != want {
			t.Errorf("lowerASCII(%q) = %q, want %q", s, got, want)
		}
	}
}
