package sarules

import (
	"math/rand"
	"testing"
)

func TestRcvdAuthMatchesRegexp(t *testing.T) {
	alphabet := []string{" with ", "with ", "with", "ESMTP", "esmtp", "LMTP", "UTF8", "UTF8S", "A", "a", "S", "SA", "HTTP", "http", "U", "x", "_", " ", "-", "9", "ASMTP", "asmtp", ";"}
	cases := []string{"", " with ESMTPA", "from x with ESMTPSA id 1", "xwith ESMTPA", " with HTTPUx with HTTP;", " with ESMTPAx", " with asmtp", " with UTF8SMTPSA;"}
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 20000; i++ {
		cases = append(cases, randomText(r, alphabet, r.Intn(10)))
	}
	for _, c := range cases {
		var want string
		m := rcvdAuthRe.FindStringSubmatch(c)
		if m != nil {
			want = m[1]
		}
		got, ok := rcvdAuth(c)
		if got != want || ok != (m != nil) {
			t.Fatalf("rcvdAuth(%q) = %q %v, want %q %v", c, got, ok, want, m != nil)
		}
	}
}

func TestTrimRcvdDateMatchesRegexp(t *testing.T) {
	alphabet := []string{" ", ";", "\t", "Mon, ", "Tue", ", ", "Thu, ", "12", "1", "Jan", "Jun", "May", "Mar", " 2002", "2002", " 10:00", ":30", ":", " +0000", "+0000", "x", "(PDT)", "Sunday"}
	cases := []string{
		"from a by b; Tue, 12 Mar 2002 10:00:00 +0000",
		"from a by b ; 1 Jan 2002 1:2 x",
		"from a by b;; ;Sat, 1 Jan 2002 1:2:3 x y",
		"from a by b; 1 Jan 2002 1:2:3 (PDT)",
		"from a by b; 1 Jan 2002 1:2: x",
	}
	r := rand.New(rand.NewSource(4))
	for i := 0; i < 50000; i++ {
		cases = append(cases, randomText(r, alphabet, r.Intn(14)))
	}
	for _, c := range cases {
		if got, want := trimRcvdDate(c), rcvdDateTailRe.ReplaceAllString(c, ""); got != want {
			t.Fatalf("trimRcvdDate(%q) = %q, want %q", c, got, want)
		}
	}
}
