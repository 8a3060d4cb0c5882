package spamd

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// spamcResult is what the Debian spamc client printed and how it exited.
type spamcResult struct {
	out  string
	code int
}

// runSpamc runs spamc against host:port with args and msg on stdin.
func runSpamc(t *testing.T, addr string, msg string, args ...string) spamcResult {
	t.Helper()
	bin, err := exec.LookPath("spamc")
	if err != nil {
		t.Skip("spamc not installed: apt-get install spamc")
	}
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-d", host, "-p", port, "-t", "20"}, args...)...)
	cmd.Stdin = strings.NewReader(msg)
	var out bytes.Buffer
	cmd.Stdout = &out
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("spamc: %v", err)
	}
	return spamcResult{out.String(), code}
}

// TestSpamc drives mailwall's server with the real spamc client. (Debian's
// spamc is built without zlib, so -z is covered by TestCompressed.)
func TestSpamc(t *testing.T) {
	l := &fakeLearner{}
	addr := startServer(t, l)
	tests := []struct {
		name string
		msg  string
		args []string
		want spamcResult
	}{
		{"check spam", spamMsg, []string{"-c"}, spamcResult{"15.3/5.0\n", 1}},
		{"check ham", hamMsg, []string{"-c"}, spamcResult{"1.2/5.0\n", 0}},
		{"symbols", spamMsg, []string{"-y"}, spamcResult{"BAYES_99,DRUGS_ERECTILE", 0}},
		{"process exit on spam", spamMsg, []string{"-E"}, spamcResult{"X-Spam-Flag: YES\r\n" + spamMsg, 1}},
		{"process ham", hamMsg, nil, spamcResult{"X-Spam-Flag: YES\r\n" + hamMsg, 0}},
		{"headers", spamMsg, []string{"--headers"}, spamcResult{"X-Spam-Flag: YES\r\nSubject: buy\r\n\r\nVIAGRA\r\n", 0}},
		{"user", hamMsg, []string{"-u", "carol", "-R"}, spamcResult{"1.2/5.0\nContent analysis details: (carol)\n", 0}},
		{"learn spam", spamMsg, []string{"-L", "spam"}, spamcResult{"Message successfully un/learned\n", 0}},
		{"learn again", "SEEN", []string{"-L", "spam"}, spamcResult{"Message was already un/learned\n", 0}},
		{"ping", "", []string{"-K"}, spamcResult{"SPAMD/1.5 0\n", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runSpamc(t, addr, tt.msg, tt.args...); got != tt.want {
				t.Errorf("spamc %v = %q exit %d, want %q exit %d", tt.args, got.out, got.code, tt.want.out, tt.want.code)
			}
		})
	}
}
