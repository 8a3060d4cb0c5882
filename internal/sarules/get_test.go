package sarules

import (
	"slices"
	"testing"
)

// TestParseAddrsLoose: a list Go's parser refuses is read element by
// element, so the first address is the first one written (SpamAssassin's
// From:addr), not one found further on.
func TestParseAddrsLoose(t *testing.T) {
	for in, want := range map[string][]string{
		"a@example.com, b@example.org":                                   {"a@example.com", "b@example.org"},
		"News@no.hostname.supplied,\n\t\"Update@x\"@y.com: <info@z.net>": {"News@no.hostname.supplied", "info@z.net"},
		"\"Smith, J\" <j@example.com>, broken <<x@y>":                    {"j@example.com", "x@y"},
		"nobody": nil,
	} {
		if got := parseAddrs(in, true); !slices.Equal(got, want) {
			t.Errorf("parseAddrs(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseAddrsNames: display names in encoded words of any charset the
// engine knows are decoded (SpamAssassin decodes the phrase's mimewords).
func TestParseAddrsNames(t *testing.T) {
	for in, want := range map[string][]string{
		"=?Big5?B?qfap9qXNrKG69A==?= <ee@enews.com.tw>":        {"易易生活網"},
		"=?iso-8859-1?q?J=F6rg?= <j@example.com>, Ann <a@b.c>": {"Jörg", "Ann"},
		"\"Plain Name\" <p@example.com>":                       {"Plain Name"},
	} {
		if got := parseAddrs(in, false); !slices.Equal(got, want) {
			t.Errorf("parseAddrs(%q, names) = %q, want %q", in, got, want)
		}
	}
}

// TestEnvelopeFromUntrustedReturnPath: a Return-Path with a Received
// field before it anywhere in the header was not added at delivery, so
// it is not the envelope sender (SpamAssassin's get_envelope_from), even
// when another Return-Path comes first.
func TestEnvelopeFromUntrustedReturnPath(t *testing.T) {
	for msg, want := range map[string]string{
		"Return-Path: <a@one.example>\nReceived: from x (x [192.0.2.1]) by y; Mon, 9 Sep 2002 08:44:17 -0500\nReturn-Path: <b@two.example>\nFrom: c@three.example\n\nhi\n": "",
		"Return-Path: <a@one.example>\nReceived: from x (x [192.0.2.1]) by y; Mon, 9 Sep 2002 08:44:17 -0500\nFrom: c@three.example\n\nhi\n":                               "a@one.example",
	} {
		p := relaysCheck(t, "", []byte(msg), nil)
		p.gets = map[string]*subjectText{}
		if got := p.get("EnvelopeFrom:addr").s; got != want {
			t.Errorf("EnvelopeFrom %q, want %q in\n%s", got, want, msg)
		}
	}
}

// TestQuotedEmails: body addresses as FreeMail.pm collects them.
func TestQuotedEmails(t *testing.T) {
	for line, want := range map[string][]string{
		"write to bob@example.com today":                   {"bob@example.com"},
		"John <john@example.com> wrote a note":             nil,
		"jane@example.com wrote: hi":                       nil,
		"call jane@example.com fax: 123":                   {"jane@example.com"},
		"see http://x.example/u?a=b@c.example for details": nil,
		"mailto:list@example.org> or help@example.net":     {"list@example.org", "help@example.net"},
	} {
		if got := quotedEmails(line); !slices.Equal(got, want) {
			t.Errorf("quotedEmails(%q) = %q, want %q", line, got, want)
		}
	}
}

// TestFreemailBodyMailto: a freemail address only in an HTML mailto: link
// counts as a body freemail (FREEMAIL_REPLYTO when it differs from the
// Reply-To).
func TestFreemailBodyMailto(t *testing.T) {
	rs, diags := LoadText("util_rb_tld com example\nfreemail_domains mail.com excite.com\nheader __FMR eval:check_freemail_replyto('replyto')\nmeta FMR_TEST __FMR\nscore FMR_TEST 1\n")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	msg := "From: a1@mail.com\nReply-To: a1@mail.com\nContent-Type: text/html\n\n<a href=\"mailto:info3017@excite.com\">write us</a>\n"
	res := rs.Check(t.Context(), NewMessage([]byte(msg)), CheckOptions{Local: true})
	if !slices.Contains(res.Tests(), "FMR_TEST") {
		t.Errorf("no FMR_TEST: %v", res.Tests())
	}
	// a link whose address the text shows is taken from the text, where
	// an address before "Http:" ("wrote:"-like) does not count
	// (SpamAssassin skips the links of its URI list typed "parsed" too)
	msg = "From: a1@other.example\nReply-To: a1@mail.com\nContent-Type: text/html\n\n" +
		"<a href=\"mailto:info3017@excite.com\">info3017@excite.com</a> Http://example.com\n"
	res = rs.Check(t.Context(), NewMessage([]byte(msg)), CheckOptions{Local: true})
	if slices.Contains(res.Tests(), "FMR_TEST") {
		t.Errorf("FMR_TEST for a linked address the text shows before Http: %v", res.Tests())
	}
}

// TestNoSubject: a body rule with tflags nosubject does not read the
// first paragraph, the one the Subject starts.
func TestNoSubject(t *testing.T) {
	rs, diags := LoadText("body NS_TEST /\\S/\ntflags NS_TEST nosubject\nscore NS_TEST 1\nbody WS_TEST /\\S/\nscore WS_TEST 1\n")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	for msg, want := range map[string][]string{
		"Subject: hello\n\n":                  {"WS_TEST"},
		"Subject: hello\n\nline\n\nanother\n": {"NS_TEST", "WS_TEST"},
	} {
		res := rs.Check(t.Context(), NewMessage([]byte(msg)), CheckOptions{Local: true})
		got := res.Tests()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", msg, got, want)
		}
	}
}

// TestFreemailBulkEnvFrom: the envelope senders for which FreeMail.pm's
// check_freemail_replyto does not look ($skip_replyto_envfrom; the
// expectations are Perl's own answers with that regex).
func TestFreemailBulkEnvFrom(t *testing.T) {
	for env, want := range map[string]bool{
		"owner-list@lists.example.com": true, "list-request@example.org": true, "do-not-reply@example.com": false, "do_noreply@example.com": true,
		"noreply@example.com": true, "bounce-123@example.com": true, "a=b=c@example.com": true,
		"postmaster@example.com": true, "john@example.com": false, "owner@example.com": false,
	} {
		if got := freemailBulkEnvFrom.Match(env, ""); got != want {
			t.Errorf("%s: bulk %v, want %v", env, got, want)
		}
	}
}
