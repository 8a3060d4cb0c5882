package sarules

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestParseDateLikeSpamAssassin: parseDate gives what
// Mail::SpamAssassin::Util::parse_rfc822_date (4.0.1) gives, as Unix
// seconds, for the dates of testdata/dates/spamassassin.txt (its output:
// "DATE<TAB>SECONDS" or "undef"): RFC 2822 and asctime forms, two- and
// three-digit years, fudged fields, clamped years, named zones in capitals
// only, and dates it cannot read.
func TestParseDateLikeSpamAssassin(t *testing.T) {
	f, err := os.Open("testdata/dates/spamassassin.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		date, want, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		n++
		tm, parsed := parseDate(date)
		got := "undef"
		if parsed {
			got = strconv.FormatInt(tm.Unix(), 10)
		}
		if got != want {
			t.Errorf("%q: %s, SpamAssassin %s", date, got, want)
		}
	}
	if n < 20 {
		t.Fatalf("only %d dates read", n)
	}
}
