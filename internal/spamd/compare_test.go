package spamd

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

// gtubeChecker calls GTUBE spam, as the stock rules do, and everything
// else ham.
type gtubeChecker struct{}

func (gtubeChecker) Check(_ context.Context, msg []byte, _ string) (*Verdict, error) {
	v := &Verdict{Threshold: 5, Score: -0.1, Symbols: []string{"NO_RECEIVED"}, Report: "report\n"}
	if bytes.Contains(msg, []byte(gtube)) {
		v.IsSpam, v.Score, v.Symbols = true, 1000, []string{"GTUBE", "NO_RECEIVED"}
	}
	v.Processed = msg
	return v, nil
}

// startRealSpamd runs a private spamd -L on a free loopback port with the
// stock rules, Bayes and network tests off, and returns its address.
func startRealSpamd(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("spamd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/spamd"); err2 != nil {
			t.Skip("spamd not installed: apt-get install spamd")
		}
		bin = "/usr/sbin/spamd"
	}
	if _, err := os.Stat("/usr/share/spamassassin/50_scores.cf"); err != nil {
		t.Skip("stock SpamAssassin rules not installed in /usr/share/spamassassin")
	}
	// spamd drops privileges, so its directories must be readable by that user.
	dir, err := os.MkdirTemp("", "spamd-compare")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	site, home := filepath.Join(dir, "site"), filepath.Join(dir, "home")
	for _, d := range []string{site, home} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	os.Chmod(home, 0o777)
	pres, _ := filepath.Glob("/etc/spamassassin/*.pre")
	for _, p := range pres {
		if b, err := os.ReadFile(p); err == nil {
			os.WriteFile(filepath.Join(site, filepath.Base(p)), b, 0o644)
		}
	}
	local := "use_bayes 0\nbayes_auto_learn 0\nskip_rbl_checks 1\ndns_available no\n"
	if err := os.WriteFile(filepath.Join(site, "local.cf"), []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	// the port is free when picked but may be taken before spamd binds it
	// (other test packages run alongside): a spamd that exits is started
	// again on a new port
	var lastOut string
	for attempt := 0; attempt < 3; attempt++ {
		addr, out, ok := tryRealSpamd(t, bin, site, home, dir)
		if ok {
			return addr
		}
		lastOut = out
	}
	t.Fatalf("spamd did not start in 3 attempts:\n%s", lastOut)
	return ""
}

// tryRealSpamd starts spamd on a fresh port and waits until it answers
// (ok), exits, or 120 s pass; a process that does not answer is killed.
func tryRealSpamd(t *testing.T, bin, site, home, dir string) (addr, why string, ok bool) {
	t.Helper()
	port := freePort(t)
	args := []string{"-L", "-x", "--siteconfigpath=" + site, "--configpath=/usr/share/spamassassin",
		"-i", "127.0.0.1", "-p", fmt.Sprint(port), "-A", "127.0.0.1", "-m", "1", "--min-children=1",
		"--max-spare=1", "-H", home, "-s", filepath.Join(dir, "spamd.log")}
	if os.Geteuid() == 0 {
		u := "nobody"
		if _, err := user.Lookup("debian-spamd"); err == nil {
			u = "debian-spamd"
		}
		args = append(args, "-u", u)
	}
	cmd := exec.Command(bin, args...)
	outPath := filepath.Join(dir, fmt.Sprintf("spamd-%d.out", port))
	logf, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	output := func() string { b, _ := os.ReadFile(outPath); return string(b) }
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	c := &Client{Addr: addr}
	deadline := time.Now().Add(120 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r, err := c.Do(ctx, MethodCheck, []byte("Subject: x\r\n\r\nx\r\n"), nil)
		cancel()
		if err == nil && r.Code == 0 {
			t.Cleanup(stop)
			return addr, "", true
		}
		select {
		case <-exited:
			return "", fmt.Sprintf("spamd on %s exited: %s", addr, output()), false
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Sprintf("spamd on %s not ready after 120 s (last: %v): %s", addr, err, output()), false
		}
		time.Sleep(200 * time.Millisecond) // polling a child process
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var (
	reDigits   = regexp.MustCompile(`\d+(\.\d+)?`)
	reBodyPart = regexp.MustCompile(`(?s)\r\n\r\n.+$`)
)

// shape masks numbers, and the body when maskBody is set, so replies of
// two engines with different rules compare by format.
func shape(reply string, maskBody bool) string {
	if maskBody {
		reply = reBodyPart.ReplaceAllString(reply, "\r\n\r\n<body>")
	}
	lines := strings.SplitN(reply, "\r\n", 2)
	if len(lines) == 2 {
		// keep the status line's code exact, mask numbers in headers
		return lines[0] + "\r\n" + reDigits.ReplaceAllString(lines[1], "N")
	}
	return reply
}

// TestCompareWithSpamd sends the same requests to SpamAssassin's spamd and
// to mailwall's server and compares the replies' format, and spamc's output
// shape and exit codes.
func TestCompareWithSpamd(t *testing.T) {
	if testing.Short() {
		t.Skip("starting spamd with the stock rules is slow; skipped with -short")
	}
	real := startRealSpamd(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := NewServer(gtubeChecker{}, nil, Options{Logger: slog.New(slog.DiscardHandler)})
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	ours := ln.Addr().String()

	spam := "Subject: test\r\nFrom: a@example.com\r\nTo: b@example.com\r\n\r\n" + gtube + "\r\n"
	tests := []struct {
		name     string
		req      string
		maskBody bool
	}{
		{"check spam", request("CHECK", "1.5", spam, clen(spam)), false},
		{"symbols", request("SYMBOLS", "1.5", spam, clen(spam)), true},
		{"report", request("REPORT", "1.5", spam, clen(spam)), true},
		{"report_ifspam", request("REPORT_IFSPAM", "1.5", spam, clen(spam)), true},
		{"ping", "PING SPAMC/1.5\r\n\r\n", false},
		{"unknown method", "FROB SPAMC/1.5\r\n\r\n", false},
		{"bad header", "CHECK SPAMC/1.5\r\nNoColon\r\n\r\n", false},
		{"bad length", "CHECK SPAMC/1.5\r\nContent-length: 1x\r\n\r\n", false},
		{"eof in headers", "CHECK SPAMC/1.5\r\nContent-length: 3\r\n", false},
		{"length mismatch", request("CHECK", "1.5", "abc\r\n", "Content-length: 100"), false},
		{"tell disabled", request("TELL", "1.5", spam, clen(spam), "Message-class: spam", "Set: local"), false},
		{"compress without length", request("CHECK", "1.5", spam, "Compress: zlib"), false},
		{"bad compression", request("CHECK", "1.5", spam, clen(spam), "Compress: lzma"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := shape(exchange(t, real, tt.req), tt.maskBody)
			got := shape(exchange(t, ours, tt.req), tt.maskBody)
			if got != want {
				t.Errorf("reply differs\n ours %q\nspamd %q", got, want)
			}
		})
	}

	for _, args := range [][]string{{"-c"}, {"-E"}, {"-y"}, {"-R"}, {"-K"}, {"-L", "spam"}} {
		t.Run("spamc "+strings.Join(args, " "), func(t *testing.T) {
			want := runSpamc(t, real, spam, args...)
			got := runSpamc(t, ours, spam, args...)
			if got.code != want.code {
				t.Errorf("exit %d, spamd gives %d", got.code, want.code)
			}
			// -E and -y print what the rules made of the message; only
			// the form of the score line and the exit code must agree.
			first := func(s string) string {
				line, _, _ := strings.Cut(s, "\n")
				return reDigits.ReplaceAllString(line, "N")
			}
			switch args[0] {
			case "-E", "-y":
			default:
				if first(got.out) != first(want.out) {
					t.Errorf("output %q, spamd prints %q", got.out, want.out)
				}
			}
		})
	}
}
