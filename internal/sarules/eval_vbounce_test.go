package sarules

import (
	"context"
	"testing"
)

// TestBounceRelays: check_welcomelist_bounce_relays finds a listed relay
// (globs allowed) in a Received header quoted in the body text or, folded,
// in the pristine body; without welcomelist_bounce_relays it and
// have_any_bounce_relays are 0. Expected values are spamassassin 4.0.1's
// (-L -t with these rules).
func TestBounceRelays(t *testing.T) {
	const rules = "body T_HAVE eval:have_any_bounce_relays()\nbody T_MINE eval:check_welcomelist_bounce_relays()\n"
	bounce := "From: MAILER-DAEMON@mx.other.test\nTo: me@example.test\nSubject: Undeliverable\n\n" +
		"Your message could not be delivered.\n\n> Received: from out1.relay.example.test (out1.relay.example.test [192.0.2.1])\n>  by mx.other.test; Mon, 23 Nov 2026 10:00:00 +0000\n"
	folded := "From: MAILER-DAEMON@mx.other.test\nTo: me@example.test\nSubject: Undeliverable\nContent-Type: message/rfc822\n\n" +
		"Received: from [192.0.2.1]\n\tby out2.relay.example.test\twith SMTP; Mon, 23 Nov 2026 10:00:00 +0000\nSubject: hi\n\nhello\n"
	tests := []struct {
		name, conf, msg string
		want            []string
	}{
		{"no relays listed", "", bounce, nil},
		{"quoted in the text", "welcomelist_bounce_relays out1.relay.example.test\n", bounce, []string{"T_HAVE", "T_MINE"}},
		{"glob", "whitelist_bounce_relays *.relay.example.test\n", bounce, []string{"T_HAVE", "T_MINE"}},
		{"other relay", "welcomelist_bounce_relays mail.example.test\n", bounce, []string{"T_HAVE"}},
		{"folded in the pristine body", "welcomelist_bounce_relays out2.relay.example.test\n", folded, []string{"T_HAVE", "T_MINE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, diags := LoadText(rules + tc.conf + "score T_HAVE 1\nscore T_MINE 1\n")
			for _, d := range diags {
				t.Log(d)
			}
			res := rs.Check(context.Background(), NewMessage([]byte(tc.msg)), CheckOptions{Local: true})
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.Name)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && (got[0] != tc.want[0] || got[len(got)-1] != tc.want[len(tc.want)-1])) {
				t.Errorf("hits %v, want %v", got, tc.want)
			}
		})
	}
}
