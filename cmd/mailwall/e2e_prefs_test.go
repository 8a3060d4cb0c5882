package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// gtubeRules is a rules directory with only SpamAssassin's GTUBE rule, so
// the test needs no stock rules installed.
func gtubeRules(t *testing.T, dir string) string {
	t.Helper()
	rules := filepath.Join(dir, "rules")
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	cf := `body GTUBE /XJS\*C4JDBQADN1\.NSBN3\*2IDNEN\*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL\*C\.34X/
score GTUBE 1000
`
	if err := os.WriteFile(filepath.Join(rules, "20_gtube.cf"), []byte(cf), 0o644); err != nil {
		t.Fatal(err)
	}
	return rules
}

// TestSpamPrefsPerDomain: GTUBE to two domains, one rejecting spam at 5
// and one only tagging it: the message is accepted, the tagged copy goes
// to the tagging domain's recipient alone and the mail log says per
// recipient what happened; GTUBE to the rejecting domain alone gets a 5xx
// at DATA with that domain's reply.
func TestSpamPrefsPerDomain(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, `spam:
  rules_dir: `+gtubeRules(t, dir)+`
  site_rules_dir: ""
  use_bayes: false
  dns_tests: false
  domains:
    strict.test:
      reject_score: 5
      reject_text: "550 5.7.1 strict.test takes no spam"
    relaxed.test:
      tag_score: 5
`))
	gtube := gtubeString
	msg := smtptest.Msg("a@client.test", "a@strict.test", "spam", gtube)
	reply, err := sendMail(g.SMTP, "a@client.test", []string{"a@strict.test", "b@relaxed.test"}, msg)
	m := queuedRe.FindStringSubmatch(reply)
	if err != nil || m == nil {
		t.Fatalf("mixed recipients: %q %v, want 250", reply, err)
	}
	id := m[1]
	split := g.waitLine(30*time.Second, func(l string) bool { return strings.Contains(l, id+": split ") })
	if !strings.Contains(split, "to=<a@strict.test> dropped (reject: spam score ") ||
		!strings.Contains(split, "to=<b@relaxed.test> tag (id "+id+")") {
		t.Errorf("split line %q", split)
	}
	waitMessages(t, sink, 1, 60*time.Second)
	got := sink.Messages()[0]
	if strings.Join(got.Rcpts, ",") != "b@relaxed.test" {
		t.Errorf("delivered to %v, want b@relaxed.test only", got.Rcpts)
	}
	if hdr := string(got.Data[:strings.Index(string(got.Data), "\r\n\r\n")]); !strings.Contains(hdr, "X-Spam-Flag: YES") {
		t.Errorf("copy not tagged:\n%s", hdr)
	}

	reply, err = sendMail(g.SMTP, "a@client.test", []string{"a@strict.test", "c@strict.test"}, msg)
	if !strings.HasPrefix(reply, "550 5.7.1 strict.test takes no spam") {
		t.Errorf("strict.test only: %q %v, want its 550", reply, err)
	}
}
