package bayes

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// englishStopwords are the words of SpamAssassin 4's default English stop
// list (bayes_stopword_en, the only language enabled by default): frequent
// words that turn up in spam and ham alike and only fill the database. The
// same words must be skipped for a database to stay compatible with one
// sa-learn built.
var englishStopwords = []string{
	"able", "all", "already", "and", "any", "are", "because", "both", "can",
	"come", "each", "email", "even", "few", "first", "for", "from", "give",
	"has", "have", "http", "information", "into", "it's", "just", "know",
	"like", "long", "look", "made", "mail", "mailing", "mailto", "make",
	"many", "more", "most", "much", "need", "not", "now", "number", "off",
	"one", "only", "out", "own", "people", "place", "right", "same", "see",
	"such", "that", "the", "this", "through", "time", "using", "web", "where",
	"why", "with", "without", "work", "world", "year", "years", "you",
	"you're", "your",
}

// DefaultStopwords matches an English stop word, whole and in any case.
var DefaultStopwords = StopwordRegexp(englishStopwords)

// StopwordRegexp builds the anchored, case-insensitive matcher the
// tokenizer uses from a word list.
func StopwordRegexp(words []string) *regexp.Regexp {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?i)^(?:` + strings.Join(q, "|") + `)$`)
}

var reByteEscapes = regexp.MustCompile(`(?:\\x[0-9A-Fa-f]{2})+`)

// StopwordsFromPerl compiles the value of a bayes_stopword_xx setting, a
// Perl regex, as SpamAssassin does ('^(?i)' . re . '$'). Runs of \xHH
// escapes that spell UTF-8 become literal characters (Perl matches them
// byte by byte, Go by character); (?^: becomes (?:, and \' becomes '.
func StopwordsFromPerl(re string) (*regexp.Regexp, error) {
	re = strings.ReplaceAll(re, "(?^:", "(?:")
	re = strings.ReplaceAll(re, `\'`, "'")
	re = reByteEscapes.ReplaceAllStringFunc(re, func(esc string) string {
		b := make([]byte, 0, len(esc)/4)
		for i := 0; i+4 <= len(esc); i += 4 {
			n, _ := strconv.ParseUint(esc[i+2:i+4], 16, 8)
			b = append(b, byte(n))
		}
		if !utf8.Valid(b) {
			return esc
		}
		return regexp.QuoteMeta(string(b))
	})
	rx, err := regexp.Compile(`^(?i)` + re + `$`)
	if err != nil {
		return nil, fmt.Errorf("bayes: stopword regex: %w", err)
	}
	return rx, nil
}
