package main

import (
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// TestVirusAndSpamOverSMTP: with the native antivirus (EICAR database) and
// the stock SpamAssassin rules, EICAR is refused with 554 5.7.1 and logged
// as FOUND, GTUBE is tagged with X-Spam-Flag, and clean mail carries
// X-Virus-Scanned and X-Spam-Status.
func TestVirusAndSpamOverSMTP(t *testing.T) {
	rules := stockRules(t)
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	g := startGateway(t, dir, baseConfig(dir, sink.Addr, `antivirus:
  database_dir: `+avDB(t, dir)+`
spam:
  rules_dir: `+rules+`
  site_rules_dir: ""
  use_bayes: false
  dns_tests: false
`))
	reply, _ := sendMail(g.SMTP, "a@client.test", []string{"u@example.test"}, smtptest.Msg("a@client.test", "u@example.test", "virus", eicar))
	if !strings.HasPrefix(reply, "554 5.7.1 Virus found: Eicar-Test-Signature") {
		t.Errorf("EICAR: %q", reply)
	}
	if g.waitLine(10*time.Second, func(l string) bool {
		return strings.Contains(l, ": Eicar-Test-Signature") && strings.Contains(l, " FOUND")
	}) == "" {
		t.Error("no FOUND line in the mail log")
	}
	gtube := gtubeString
	for _, m := range []struct{ subj, body string }{{"spam", gtube}, {"clean", "Hello Bob, see you at lunch tomorrow."}} {
		if reply, err := sendMail(g.SMTP, "a@client.test", []string{"u@example.test"}, smtptest.Msg("a@client.test", "u@example.test", m.subj, m.body)); err != nil || !queuedRe.MatchString(reply) {
			t.Fatalf("%s: %q %v", m.subj, reply, err)
		}
	}
	waitMessages(t, sink, 2, 60*time.Second)
	for _, m := range sink.Messages() {
		data := string(m.Data)
		hdr := data[:strings.Index(data, "\r\n\r\n")]
		if !strings.Contains(hdr, "X-Virus-Scanned: mailwall") || !strings.Contains(hdr, "X-Spam-Status: ") {
			t.Errorf("missing scanner headers:\n%s", hdr)
		}
		spam := strings.Contains(data, "Subject: spam")
		if flagged := strings.Contains(hdr, "X-Spam-Flag: YES"); flagged != spam {
			t.Errorf("X-Spam-Flag present=%v for spam=%v:\n%s", flagged, spam, hdr)
		}
	}
}

// TestSpamdListenerWithSpamc: Debian's spamc against serve's spamd
// listener: GTUBE is spam (exit 1 with -c), a clean message is not.
func TestSpamdListenerWithSpamc(t *testing.T) {
	spamc, host, port := startSpamdGateway(t, "  use_bayes: false\n")
	gtube := smtptest.Msg("a@client.test", "u@example.test", "spam", gtubeString)
	for _, tt := range []struct {
		msg    string
		exit   int
		prefix string
	}{{gtube, 1, "1000"}, {smtptest.Msg("a@client.test", "u@example.test", "lunch", "Hi Bob, lunch at noon?"), 0, ""}} {
		cmd := exec.Command(spamc, "-d", host, "-p", port, "-c")
		cmd.Stdin = strings.NewReader(tt.msg)
		out, err := cmd.Output()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.exit || !strings.HasPrefix(string(out), tt.prefix) || !strings.Contains(string(out), "/5.0") {
			t.Errorf("spamc -c: exit %d output %q, want exit %d and %q.../5.0", code, out, tt.exit, tt.prefix)
		}
	}
}

// TestSpamdTellTrainsBayes: with Bayes on and TELL allowed, `spamc -L
// spam` trains the gateway's classifier; the same message again changes
// nothing.
func TestSpamdTellTrainsBayes(t *testing.T) {
	spamc, host, port := startSpamdGateway(t, "  use_bayes: true\n  spamd_allow_tell: true\n")
	msg := smtptest.Msg("a@client.test", "u@example.test", "cheap pills", "Buy cheap pills now, limited offer!")
	for _, want := range []string{"Message successfully un/learned", "Message was already un/learned"} {
		cmd := exec.Command(spamc, "-d", host, "-p", port, "-L", "spam")
		cmd.Stdin = strings.NewReader(msg)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("spamc -L spam: %v %q, want %q", err, out, want)
		}
	}
}

// startSpamdGateway starts serve with the stock rules and a spamd listener
// (extra lines go into the spam section) and returns the spamc binary and
// the listener's host and port. It skips without the rules or spamc.
func startSpamdGateway(t *testing.T, extra string) (spamc, host, port string) {
	t.Helper()
	rules := stockRules(t)
	spamc, err := exec.LookPath("spamc")
	if err != nil {
		t.Skip("spamc not installed (bash scripts/install-deps.sh installs it)")
	}
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	addr := freeAddr(t)
	startGateway(t, dir, baseConfig(dir, sink.Addr, "spam:\n  rules_dir: "+rules+
		"\n  site_rules_dir: \"\"\n  dns_tests: false\n  spamd_listen: [\""+addr+"\"]\n"+extra))
	host, port, _ = net.SplitHostPort(addr)
	return spamc, host, port
}
