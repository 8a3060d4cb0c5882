package sarules

import "strings"

// Hand-written forms of two Received regexps that Go's regexp runs at
// every position of every header (they have no literal prefix). Each is
// tested against its regexp (relays_scan_test.go).

// rcvdAuthWords are rcvdAuthRe's alternatives spelled out.
var rcvdAuthWords = []string{"ESMTPA", "ESMTPSA", "LMTPA", "LMTPSA", "UTF8SMTPA", "UTF8SMTPSA",
	"UTF8LMTPA", "UTF8LMTPSA", "ASMTP", "HTTP", "HTTPS", "HTTPU"}

// rcvdAuth is rcvdAuthRe's group: after the leftmost " with " that is
// followed by one of rcvdAuthWords (any case) and then a space, ";" or
// the end, that word as written.
func rcvdAuth(s string) (string, bool) {
	for off := 0; ; {
		i := strings.Index(s[off:], " with ")
		if i < 0 {
			return "", false
		}
		i += off
		off = i + 1
		rest := s[i+len(" with "):]
		for _, w := range rcvdAuthWords {
			if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) &&
				(len(rest) == len(w) || rest[len(w)] == ' ' || rest[len(w)] == ';') {
				return rest[:len(w)], true
			}
		}
	}
}

// isASCIIWord is Go regexp's \w (what \b looks at).
func isASCIIWord(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
}

// trimRcvdDate is rcvdDateTailRe.ReplaceAllString(s, ""): s without
// its leftmost suffix of [\s;]+, an optional "Day, ", then
// "D Mon YYYY hh:mm[:ss] ZONE" up to the end.
func trimRcvdDate(s string) string {
	if strings.IndexByte(s, ':') < 0 {
		return s
	}
	for i := 0; i < len(s); i++ {
		// a match starts a run of separators (one starting inside the
		// run would make its start a match too), and after the run
		// comes the day of the month or "Day, "
		if !isRcvdSep(s[i]) || i > 0 && isRcvdSep(s[i-1]) {
			continue
		}
		j := i
		for j < len(s) && isRcvdSep(s[j]) {
			j++
		}
		if j < len(s) && (s[j] >= '0' && s[j] <= '9' || j+4 < len(s) && s[j+3] == ',') && rcvdDateTail(s[i:]) {
			return s[:i]
		}
		i = j - 1
	}
	return s
}

func isRcvdSep(c byte) bool { return c == ';' || isGoSpace(c) }

// rcvdDateDays and rcvdDateMonths are the words rcvdDateTailRe allows.
var (
	rcvdDateDays   = []string{"Mon", "Tue", "Thu", "Wed", "Fri", "Sat", "Sun"}
	rcvdDateMonths = []string{"Jan", "Jun", "Jul", "Feb", "Mar", "May", "Apr", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// rcvdDateTail reports whether all of s matches rcvdDateTailRe. Every
// step is forced (no element can start with a byte its predecessor
// takes), so one left-to-right pass decides.
func rcvdDateTail(s string) bool {
	i := 0
	for i < len(s) && isRcvdSep(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for _, d := range rcvdDateDays {
		if strings.HasPrefix(s[i:], d+", ") {
			i += len(d) + 2
			break
		}
	}
	digits := func() bool {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > j
	}
	lit := func(c byte) bool {
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}
	if !digits() || !lit(' ') {
		return false
	}
	month := false
	for _, m := range rcvdDateMonths {
		if strings.HasPrefix(s[i:], m) {
			i += len(m)
			month = true
			break
		}
	}
	if !month || !lit(' ') || !digits() || !lit(' ') || !digits() || !lit(':') || !digits() {
		return false
	}
	if lit(':') && !digits() {
		return false
	}
	if !lit(' ') || i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if isGoSpace(s[i]) {
			return false
		}
	}
	return true
}
