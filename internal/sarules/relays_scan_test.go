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

// TestRcvdEnvFrom: the envelope sender of a Received line, as
// SpamAssassin 4.0.1 parses it (spamassassin -D, "received-header: parsed
// as [ ... envfrom=... ]"): a word after return-path:, envelope-from or
// envelope-sender in any case, cut at its last word boundary, without
// angle brackets; "<>" gives none, so get_envelope_from looks further.
func TestRcvdEnvFrom(t *testing.T) {
	const head = "from mx.example.net (mx.example.net [203.0.113.5]) by mail.example.org (8.12.5/8.12.5) with ESMTP id g6M1MQhX039501 for <me@example.org>; Sun, 21 Jul 2002 20:22:26 -0500 "
	for tail, want := range map[string]string{
		"(envelope-from <>)":                        "",
		"(envelope-from <Bob@Example.com>)":         "Bob@Example.com",
		"(Envelope-From bob@example.com)":           "bob@example.com",
		"(envelope-sender <bob@example.com>)":       "bob@example.com",
		"return-path: bob@example.com;":             "bob@example.com",
		"(envelope-from webmaster2fg7@address.com)": "webmaster2fg7@address.com",
	} {
		r, ok := parseReceived(head + tail)
		if !ok || r == nil {
			t.Fatalf("%q: not parsed", tail)
		}
		if r.envfrom != want || r.hasEnvfrom != (want != "") {
			t.Errorf("%q: envfrom %q (%v), want %q", tail, r.envfrom, r.hasEnvfrom, want)
		}
	}
}
