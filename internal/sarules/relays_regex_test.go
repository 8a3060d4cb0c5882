package sarules

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOwnRegexesAsGo: the Received regexes run by the rule
// engine (mustRegex) find what Go's regexp finds with the same
// expression, groups included, on Received and Date values: a few
// here, and every one of the corpus sample when it is installed.
func TestOwnRegexesAsGo(t *testing.T) {
	vals := []string{
		"from mail.example.com (mail.example.com [192.0.2.1]) by mx.test (Postfix) with ESMTP id ABC123 for <u@test>; Thu, 22 Aug 2002 07:36:16 -0400 (EDT)",
		"from [192.0.2.7] (helo=x.example) by mx.test with esmtpa (Exim 4.96) (envelope-from <a@b.c>) id 1qX-000",
		"from unknown (HELO box.example) (198.51.100.3) by mx.test with SMTP; 5 Jan 2003 10:00:00 -0000",
		"from host (host [IPv6:2001:db8::1]) by mx.test (8.12.5/8.12.5) with ESMTP id g7MBYrZ04811; Mon, 2 Sep 2002 1:2:3 +0100",
		"from 203.0.113.9 by mx.test; Tue, 3 Sep 2002 04:05:06 GMT",
		"(qmail 123 invoked by uid 500); 22 Aug 2002 12:00:00 -0000",
		"from localhost by mx.test with IMAP (fetchmail-5.9.0) for u@test (single-drop)",
		"Thu, 22 Aug 2002 07:36:16 -0400", "22 August 02 7:36 EST", "Mon Sep 2 10:00:00 2002", "",
	}
	for _, raw := range corpusMessages(t) {
		m := NewMessage(raw)
		vals = append(vals, headerValues(m.Header, "Received", false)...)
		vals = append(vals, headerValues(m.Header, "Date", false)...)
	}
	pairs := []struct {
		ours *Regex
		src  string
	}{
		{rcvdIDRe, ` id <?([^\s<>;]{3,})`},
		{rcvdHeloEqRe, `\bhelo=([-A-Za-z0-9.^+_&:=?!@%*$\\/]+)`},
		{rcvdHeloRe, `\b(?:HELO|EHLO) ([-A-Za-z0-9.^+_&:=?!@%*$\\/]+)`},
		{rcvdByRe, ` by (\S+?)(?:[^-A-Za-z0-9;.]|$)`},
		{rcvdBracketIP, `\[((?:IPv6:)?[0-9A-Fa-f:.]+)\]`},
		{rcvdPostfixRe, `^\S+ \((\S+) \[((?:IPv6:)?[0-9A-Fa-f:.]+)\]\)`},
		{rcvdParenIP, `\((\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\)`},
		{rcvdLeadIP, `^from (\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b`},
		{rcvdRdnsIP, `\(([^\s()\[\]]+?)\s*\[`},
		{rcvdFetchRe, `with (?:POP3|IMAP)`},
		{rcvdNoRelayRe, `(?i)^from (\S+) by [^\s;]+ ?;`},
		{rcvdByParenRe, ` by \S+ \(`},
		{rcvdTimeRe, `(\s.?\d+ \S\S\S \d+ \d+:\d+:\d+ \S+)`},
	}
	for _, p := range pairs {
		goRe := regexp.MustCompile(p.src)
		for _, v := range vals {
			// as parseReceived reads them: one line, blanks squeezed
			for _, s := range []string{v, strings.Join(strings.Fields(v), " ")} {
				if want, got := goRe.FindStringSubmatch(s), p.ours.FindSubmatch(s); !slices.Equal(got, want) {
					t.Errorf("%s on %q: %q, Go's regexp %q", p.src, s, got, want)
				}
				if want, got := goRe.MatchString(s), p.ours.Match(s, ""); got != want {
					t.Errorf("%s on %q: Match %v, Go's regexp %v", p.src, s, got, want)
				}
			}
		}
	}
}
