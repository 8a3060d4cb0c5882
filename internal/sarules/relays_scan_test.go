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

// TestUnparseableReceived: from-headers SpamAssassin 4.0.1 logs as
// "unparseable" (its -D received-header output on the public corpus)
// count as unparseable relays; ordinary ones still parse.
func TestUnparseableReceived(t *testing.T) {
	for _, v := range []string{
		"from 200.181.124.54 - 200.181.124.54 by tsapp.tsapp  with Microsoft SMTPSVC(5.5.1774.114.11); Tue, 30 Jul 2002 07:18:04 -0500",
		"from hotmail.com - 63.209.92.128 by is.valcare.com  with Microsoft SMTPSVC(5.5.1774.114.11); Tue, 26 Jun 2001 12:17:14 +0530",
		"from hyundaitrade (211.196.206.210) by relay6.kornet.net; 3 Jun 2002 17:01:55 +0900",
		"from  by Computer2 with ESMTP; Mon, 20 May 2002 12:43:34 -0500",
		"from unknown",
		"from unknown (HELO niederhasli.ch) (unknown) by unknown with SMTP; 4 Aug 2001 01:24:08 -0000",
		"from <beautyinfufuxxxmeb13mxy@aol.com> with PostMaster 3.14.1 (M);  Mon, 07 Oct 2002 15:10:41 +100",
		"From LOCALHOST.LOCALDOMAIN (148.121.170.2[148.121.170.2 port:4721]) by grimm1.grimstad Mail essentials (server 2.422) with SMTP id: <7866@grimm1.grimstad>; Mon, 22 Jul 2002 2:00:11 PM +0200",
	} {
		if r, ok := parseReceived(v); r != nil || !ok {
			t.Errorf("%q: relay %+v ok %v, want unparseable", v, r, ok)
		}
	}
	for _, v := range []string{
		"from mail.example.com (mail.example.com [192.0.2.1]) by mx.test (Postfix) with ESMTP id ABC; Thu, 22 Aug 2002 07:36:16 -0400",
		"from unknown (HELO box.example) (198.51.100.3) by mx.test with SMTP; 5 Jan 2003 10:00:00 -0000",
		"from box (box [192.0.2.9]) by mx.test; 5 Jan 2003 10:00:00 -0000",
	} {
		if r, ok := parseReceived(v); r == nil || !ok {
			t.Errorf("%q: relay %+v ok %v, want a relay", v, r, ok)
		}
	}
}
