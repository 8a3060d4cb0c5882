package sarules

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// moreEvalsCF defines test rules over the evals of eval_more.go (each
// scored 1). The expectations of the tests below are SpamAssassin 4.0.1's
// answers: each message run through
//
//	spamassassin -L -t --cf='<each line>' --cf='score T_... 1' < msg.eml
//
// and the T_ rules of its X-Spam-Status read.
const moreEvalsCF = `header __EHM eval:check_for_matching_env_and_hdr_from()
meta T_EHM __EHM
header T_LP_USER eval:check_for_to_in_subject('user')
header T_LP_ADDR eval:check_for_to_in_subject('address')
body T_UC_25_50 eval:check_for_uppercase('25', '50')
body T_UC_50_75 eval:check_for_uppercase('50', '75')
body T_UC_75_100 eval:check_for_uppercase('75', '100')
body T_TVD_NONE eval:tvd_vertical_words('-1', '0')
body T_TVD_0_10 eval:tvd_vertical_words('0','10')
body T_TVD_10_30 eval:tvd_vertical_words('10','30')
body T_TVD_50_100 eval:tvd_vertical_words('50','100')
body T_MAD_ZERO eval:multipart_alternative_difference('0', '0')
body T_MAD_40_60 eval:multipart_alternative_difference('40', '60')
body T_MAD_99 eval:multipart_alternative_difference('99', '100')
body T_MADC eval:multipart_alternative_difference_count('3', '1')
body T_MADC_HALF eval:multipart_alternative_difference_count('0.5', '1')
`

// moreEvalsRules are the scored rules of moreEvalsCF.
var moreEvalsRules = []string{"T_EHM", "T_LP_USER", "T_LP_ADDR", "T_UC_25_50", "T_UC_50_75", "T_UC_75_100",
	"T_TVD_NONE", "T_TVD_0_10", "T_TVD_10_30", "T_TVD_50_100",
	"T_MAD_ZERO", "T_MAD_40_60", "T_MAD_99", "T_MADC", "T_MADC_HALF"}

func moreEvalsRuleset(t *testing.T) *Ruleset {
	t.Helper()
	cf := moreEvalsCF
	for _, r := range moreEvalsRules {
		cf += "score " + r + " 1\n"
	}
	rs, diags := LoadText(cf)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	return rs
}

// moreEvalsHits returns which of the rules of moreEvalsCF hit msg.
func moreEvalsHits(t *testing.T, rs *Ruleset, msg string) []string {
	t.Helper()
	res := rs.Check(t.Context(), NewMessage([]byte(msg)), CheckOptions{Local: true})
	var got []string
	for _, name := range res.Tests() {
		if slices.Contains(moreEvalsRules, name) {
			got = append(got, name)
		}
	}
	slices.Sort(got)
	return got
}

type moreEvalCase struct {
	name string
	msg  string
	want []string // sorted
}

func checkMoreEvalCases(t *testing.T, cases []moreEvalCase, only func(string) bool) {
	t.Helper()
	rs := moreEvalsRuleset(t)
	for _, c := range cases {
		var got []string
		for _, r := range moreEvalsHits(t, rs, c.msg) {
			if only(r) {
				got = append(got, r)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: hits %v, want %v", c.name, got, c.want)
		}
	}
}

// mkMsg joins header lines and a body into a message, adding the
// fields each case does not vary.
func mkMsg(hdr, body string) string {
	h := hdr
	if !strings.Contains(h, "\nDate:") && !strings.HasPrefix(h, "Date:") {
		h += "Date: Mon, 3 Jun 2024 10:00:00 +0000\n"
	}
	if !strings.Contains(h, "Message-ID:") {
		h += "Message-ID: <t1@sender.example>\n"
	}
	return h + "\n" + body
}

const rcvdBy = "Received: from mx.sender.example (mx.sender.example [203.0.113.5])\n\tby mail.example.org (8.12.5/8.12.5) with ESMTP id g6M1MQhX039501\n\tfor <me@example.org>; Mon, 3 Jun 2024 10:00:00 +0000"

// TestEnvAndHdrFromMatch: check_for_matching_env_and_hdr_from, the
// first EnvelopeFrom address against the first From address, as
// SpamAssassin 4.0.1 answers (spamassassin -L -t --cf=...).
func TestEnvAndHdrFromMatch(t *testing.T) {
	cases := []moreEvalCase{
		{"return-path, case differs", mkMsg("Return-Path: <Bob@Example.COM>\nFrom: bob@example.com\nTo: me@example.org\nSubject: hello\n", "hi\n"), []string{"T_EHM"}},
		{"return-path differs", mkMsg("Return-Path: <alice@example.com>\nFrom: bob@example.com\nTo: me@example.org\nSubject: hello\n", "hi\n"), nil},
		{"neither", mkMsg("To: me@example.org\nSubject: hello\n", "hi\n"), []string{"T_EHM"}},
		{"envelope-from comment", mkMsg(rcvdBy+" (envelope-from bob@example.com)\nFrom: Bob <bob@example.com>\nTo: me@example.org\nSubject: hello\n", "hi\n"), []string{"T_EHM"}},
		{"envelope-sender", mkMsg(rcvdBy+" (envelope-sender <bob@example.com>)\nFrom: Bob <bob@example.com>\nTo: me@example.org\nSubject: hello\n", "hi\n"), []string{"T_EHM"}},
		{"envelope-from <> leaves Return-Path", mkMsg("Return-Path: <bob@example.com>\n"+rcvdBy+" (envelope-from <>)\nFrom: bob@example.com\nTo: me@example.org\nSubject: hello\n", "hi\n"), []string{"T_EHM"}},
		{"second From address", mkMsg("Return-Path: <bob@example.com>\nFrom: alice@example.net, bob@example.com\nTo: me@example.org\nSubject: hello\n", "hi\n"), nil},
		{"no From", mkMsg("Return-Path: <bob@example.com>\nTo: me@example.org\nSubject: hello\n", "hi\n"), nil},
	}
	checkMoreEvalCases(t, cases, func(r string) bool { return r == "T_EHM" })
}

// TestToInSubject: check_for_to_in_subject('user') (LOCALPART_IN_SUBJECT)
// and ('address') as SpamAssassin 4.0.1 answers. The 'user' patterns
// run on the Subject untrimmed, the second one case-sensitively.
func TestToInSubject(t *testing.T) {
	msg := func(to, subj string) string {
		return mkMsg("From: a@sender.example\nTo: "+to+"\nSubject: "+subj+"\n", "hi\n")
	}
	const to = "John Smith <john.smith@example.org>"
	cases := []moreEvalCase{
		{"user, comma", msg(to, "john.smith, your account"), []string{"T_LP_USER"}},
		{"user, comma, case differs", msg(to, "John.Smith, your account"), nil},
		{"user, re: and a word", msg(to, "Re: hello john.smith"), []string{"T_LP_USER"}},
		{"user, re: upper case", msg(to, "RE: JOHN.SMITH"), []string{"T_LP_USER"}},
		{"user, re: two words", msg(to, "Re: hello there john.smith"), nil},
		{"user alone", msg(to, "JOHN.SMITH"), []string{"T_LP_USER"}},
		{"user at the end", msg(to, "news for john.smith"), nil},
		{"user between commas", msg(to, "news, john.smith!"), nil},
		{"comma, user, bang", msg(to, ", john.smith!"), []string{"T_LP_USER"}},
		{"user, leading space", msg(to, "=?us-ascii?Q?_john.smith:_hi?="), nil},
		{"user, trailing space", msg(to, "=?us-ascii?Q?john.smith_?="), nil},
		{"user, dash then end", msg(to, "john.smith -"), []string{"T_LP_USER"}},
		{"address", msg(to, "mail for John.Smith@Example.ORG today"), []string{"T_LP_ADDR"}},
		{"address inside a word", msg(to, "mail for xjohn.smith@example.org"), nil},
		{"quoted metacharacters", msg("a+b@example.org", "a+b: hello"), []string{"T_LP_USER"}},
		{"quoted metacharacters, no match", msg("a+b@example.org", "aab: hello"), nil},
		{"no To", mkMsg("From: a@sender.example\nSubject: john.smith, hi\n", "hi\n"), nil},
		{"first To address", msg("alice@example.org, john.smith@example.org", "john.smith, hi"), nil},
	}
	checkMoreEvalCases(t, cases, func(r string) bool { return strings.HasPrefix(r, "T_LP_") })
}

// TestToInSubjectMatchesPerl: the scans of check_for_to_in_subject
// answer as its Perl patterns, run by the package's Perl regex engine,
// on random subjects.
func TestToInSubjectMatchesPerl(t *testing.T) {
	users := []string{"john", "john.smith", "a+b", "J", "x_1", "", "re", "bob smith", " j", "\xe9t\xe9"}
	alphabet := []string{"re:", "RE:", "Fw:", "fw", "re", " ", "  ", "\t", "\n", "\v", ",", "!", "-", ";", "?", ":", "x", "_", ".",
		"@example.org", "@EXAMPLE.org", "john", "JOHN", "John.Smith", "john.smith", "a+b", "aab", "j", "J", "x_1", "hi", "smith", "bob", "\xe9", "\xc9", "a", "b", "`", "\x0e", "\x00"}
	r := rand.New(rand.NewSource(5))
	var subjects []string
	for i := 0; i < 20000; i++ {
		subjects = append(subjects, randomText(r, alphabet, r.Intn(8)))
	}
	for _, u := range users {
		pat := strings.ReplaceAll(userInSubjectPerl, `\Q$to\E`, quoteMeta(u))
		userRe, err := compilePattern(pat, pat, "i")
		if err != nil {
			t.Fatal(err)
		}
		addr := u + "@example.org"
		pat = strings.ReplaceAll(addrInSubjectPerl, `\Q$full_to\E`, quoteMeta(addr))
		addrRe, err := compilePattern(pat, pat, "i")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subjects {
			if got, want := userInSubject(s, u), userRe.Match(s, ""); got != want {
				t.Fatalf("userInSubject(%q, %q) = %v, want %v", s, u, got, want)
			}
			if got, want := addrInSubject(s, addr), addrRe.Match(s, ""); got != want {
				t.Fatalf("addrInSubject(%q, %q) = %v, want %v", s, addr, got, want)
			}
		}
	}
}

// TestCheckForUppercase: check_for_uppercase over the rendered body lines
// (Subject first), as SpamAssassin 4.0.1 answers: lines with an inner
// space only, at least 200 bytes of them, digits counted as lower case,
// nothing for a charset likely to read as capitals.
func TestCheckForUppercase(t *testing.T) {
	loud := strings.Repeat("THIS IS A VERY LOUD MESSAGE ABOUT FREE STUFF.\n", 6)
	mixed := strings.Repeat("THIS IS LOUD but this is not. BUY NOW\n", 7)
	quiet := strings.Repeat("this is a quiet message, Mostly lower case.\n", 6)
	digits := strings.Repeat("CALL NOW 1234567890 1234567890 12345\n", 7)
	hdr := "From: a@sender.example\nTo: me@example.org\nSubject: hello there\n"
	mime := hdr + "MIME-Version: 1.0\n"
	cases := []moreEvalCase{
		{"loud", mkMsg(hdr, loud), []string{"T_UC_75_100"}},
		{"mixed", mkMsg(hdr, mixed), []string{"T_UC_50_75"}},
		{"quiet", mkMsg(hdr, quiet), nil},
		{"digits count as lower case", mkMsg(hdr, digits), nil},
		{"short", mkMsg(hdr, "THIS IS A VERY LOUD MESSAGE\n"), nil},
		{"one word lines", mkMsg(hdr, strings.Repeat("LOUDLOUDLOUDLOUDLOUD\n\n", 20)), nil},
		{"koi8-r", mkMsg(mime+"Content-Type: text/plain; charset=koi8-r\n", loud), nil},
		{"koi8-r with parameters", mkMsg(mime+"Content-Type: text/plain; charset=koi8-r; format=flowed\n", loud), nil},
		{"iso-8859-1", mkMsg(mime+"Content-Type: text/plain; charset=iso-8859-1\n", loud), []string{"T_UC_75_100"}},
		{"charset in the Content-Type line only", mkMsg(mime+"Content-Type: text/plain; xcharset=koi8-r\n", loud), nil},
		{"big5 attachment", mkMsg(mime+"Content-Type: multipart/mixed; boundary=\"b1\"\n",
			"--b1\nContent-Type: text/plain\n\n"+loud+"\n--b1\nContent-Type: text/plain; charset=\"big5\"\n\nhello\n--b1--\n"), nil},
		{"shift-JIS codes removed", mkMsg(hdr, strings.Repeat("THIS IS LOUD TEXT OK\n", 10)+"\x1b$B"+strings.Repeat("quiet words ", 10)+"\x1b(B x\n"), []string{"T_UC_75_100"}},
	}
	checkMoreEvalCases(t, cases, func(r string) bool { return strings.HasPrefix(r, "T_UC_") })
}

// TestTvdVerticalWords: tvd_vertical_words, the highest ratio of spaces
// to other bytes over the rendered lines longer than 5 bytes, as
// SpamAssassin 4.0.1 answers (-1 with no such line; max 100 means 101).
func TestTvdVerticalWords(t *testing.T) {
	hdr := "From: a@sender.example\nTo: me@example.org\n"
	cases := []moreEvalCase{
		{"prose", mkMsg(hdr+"Subject: hi\n", "This is a plain sentence of ordinary words.\n"), []string{"T_TVD_10_30"}},
		{"no spaces", mkMsg(hdr+"Subject: hi\n", "abcdefghijklmnopqrstuvwxyz0123456789\n"), []string{"T_TVD_0_10"}},
		{"vertical", mkMsg(hdr+"Subject: hi\n", "F R E E   M O N E Y\n"), []string{"T_TVD_50_100"}},
		{"more spaces than letters", mkMsg(hdr+"Subject: hi\n", " F R E E M O N E Y\n"), []string{"T_TVD_50_100"}},
		{"nothing long enough", mkMsg(hdr+"Subject: hi\n", "ok\n"), []string{"T_TVD_NONE"}},
		{"subject counts", mkMsg(hdr+"Subject: a b c d e f g\n", "abcdefghijklmnopqrstuvwxyz0123456789\n"), []string{"T_TVD_50_100"}},
		{"long words", mkMsg(hdr+"Subject: hi\n", "Incomprehensibilities notwithstanding\n"), []string{"T_TVD_0_10"}},
	}
	checkMoreEvalCases(t, cases, func(r string) bool { return strings.HasPrefix(r, "T_TVD_") })
}

// TestMultipartAlternativeDifference: multipart_alternative_difference
// (MPART_ALT_DIFF) and _count, the share of words of an HTML alternative
// missing from its text alternative, as SpamAssassin 4.0.1 answers.
func TestMultipartAlternativeDifference(t *testing.T) {
	hdr := "From: a@sender.example\nTo: me@example.org\nSubject: hello\nMIME-Version: 1.0\n"
	alt := func(textCT, text, htmlCT, html string) string {
		return mkMsg(hdr+"Content-Type: multipart/alternative; boundary=\"a1\"\n",
			"--a1\nContent-Type: "+textCT+"\n\n"+text+"\n--a1\nContent-Type: "+htmlCT+"\n\n"+html+"\n--a1--\n")
	}
	plain, html := "text/plain; charset=us-ascii", "text/html; charset=us-ascii"
	cases := []moreEvalCase{
		{"same words", alt(plain, "hello world, foo bar", html, "<html><body><p>hello world, foo bar</p></body></html>"), []string{"T_MADC_HALF", "T_MAD_ZERO"}},
		{"different words", alt(plain, "hello world", html, "<p>buy cheap pills now</p>"), []string{"T_MAD_99"}},
		{"half the words", alt(plain, "alpha beta", html, "<p>alpha beta gamma delta</p>"), []string{"T_MAD_40_60"}},
		{"counts matter", alt(plain, "foo bar", html, "<p>foo foo bar</p>"), []string{"T_MADC_HALF", "T_MAD_40_60"}},
		{"image only", alt(plain, "see the picture", html, "<html><body><img src=\"cid:x\"></body></html>"), []string{"T_MAD_99"}},
		{"no words, no image", alt(plain, "see the picture", html, "<html><body><p> -- </p></body></html>"), []string{"T_MAD_ZERO"}},
		{"punctuation is no word", alt(plain, "hello", html, "<p>hello -- ** ..</p>"), []string{"T_MAD_ZERO"}},
		{"more text words", alt(plain, "one two three four five six seven eight", html, "<p>one two</p>"), []string{"T_MADC", "T_MADC_HALF", "T_MAD_ZERO"}},
		{"few text words", alt(plain, "one", html, "<p>one two</p>"), []string{"T_MAD_40_60"}},
		{"latin-1 and entities", alt("text/plain; charset=iso-8859-1", "caf\xe9 cr\xe8me", "text/html; charset=iso-8859-1", "<p>caf&eacute; cr&egrave;me</p>"), []string{"T_MADC_HALF", "T_MAD_ZERO"}},
		{"a non-ASCII word", alt("text/plain; charset=utf-8", "hello", "text/html; charset=utf-8", "<p>hello \xd0\xbc\xd0\xb8\xd1\x80</p>"), []string{"T_MAD_40_60"}},
		{"a non-ASCII non-word", alt("text/plain; charset=utf-8", "hello", "text/html; charset=utf-8", "<p>hello \xe2\x80\x94</p>"), []string{"T_MAD_ZERO"}},
		{"meeting request", mkMsg(hdr+"Content-Type: multipart/alternative; boundary=\"a1\"\n",
			"--a1\nContent-Type: text/html\n\n<p>buy cheap pills now</p>\n--a1\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n--a1--\n"), []string{"T_MAD_ZERO"}},
		{"html and calendar, three parts", mkMsg(hdr+"Content-Type: multipart/alternative; boundary=\"a1\"\n",
			"--a1\nContent-Type: text/plain\n\nhello\n--a1\nContent-Type: text/html\n\n<p>buy cheap pills now</p>\n--a1\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n--a1--\n"), []string{"T_MAD_99"}},
		{"nested in mixed", mkMsg(hdr+"Content-Type: multipart/mixed; boundary=\"m1\"\n",
			"--m1\nContent-Type: multipart/alternative; boundary=\"a1\"\n\n--a1\nContent-Type: text/plain\n\nalpha beta\n--a1\nContent-Type: text/html\n\n<p>alpha beta gamma delta</p>\n--a1--\n\n--m1\nContent-Type: text/plain\n\ngamma delta\n--m1--\n"), []string{"T_MAD_40_60"}},
		{"not alternative", mkMsg(hdr+"Content-Type: multipart/mixed; boundary=\"m1\"\n",
			"--m1\nContent-Type: text/plain\n\nhello\n--m1\nContent-Type: text/html\n\n<p>buy cheap pills now</p>\n--m1--\n"), []string{"T_MAD_ZERO"}},
	}
	checkMoreEvalCases(t, cases, func(r string) bool { return strings.HasPrefix(r, "T_MAD") })
}
