package bayes

import (
	"regexp"
	"strings"
)

// englishStopwords are frequent English function words: they turn up in
// spam and ham alike and only fill the database (SpamAssassin 4's
// bayes_stopword_languages defaults to English for the same reason). Words
// under 3 bytes are dropped anyway and are not listed.
var englishStopwords = []string{
	"about", "above", "after", "again", "against", "all", "also", "and", "any",
	"are", "because", "been", "before", "being", "below", "between", "both",
	"but", "can", "could", "did", "does", "doing", "down", "during", "each",
	"few", "for", "from", "further", "had", "has", "have", "having", "her",
	"here", "hers", "herself", "him", "himself", "his", "how", "into", "its",
	"itself", "just", "more", "most", "myself", "nor", "not", "now", "off",
	"once", "only", "other", "ought", "our", "ours", "ourselves", "out", "over",
	"own", "same", "she", "should", "some", "such", "than", "that", "the",
	"their", "theirs", "them", "themselves", "then", "there", "these", "they",
	"this", "those", "through", "too", "under", "until", "very", "was", "were",
	"what", "when", "where", "which", "while", "who", "whom", "why", "will",
	"with", "would", "you", "your", "yours", "yourself", "yourselves",
}

// DefaultStopwords matches an English stop word, whole and in any case.
var DefaultStopwords = StopwordRegexp(englishStopwords)

// StopwordRegexp builds the anchored, case-insensitive matcher the
// tokenizer uses from a word list (bayes_stopword_xx in SpamAssassin takes
// a regex; pass it through regexp.MustCompile("(?i)^(?:"+re+")$") instead).
func StopwordRegexp(words []string) *regexp.Regexp {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?i)^(?:` + strings.Join(q, "|") + `)$`)
}
