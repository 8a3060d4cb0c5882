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
