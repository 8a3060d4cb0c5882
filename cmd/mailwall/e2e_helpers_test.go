package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// The end-to-end tests build the real binary once and run it as a child
// process on 127.0.0.1 ports, talking to it over sockets.
var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "mailwall-e2e-bin")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "mailwall")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// gatewayProc is a running `mailwall serve`.
type gatewayProc struct {
	t       testing.TB
	cmd     *exec.Cmd
	SMTP    string // first SMTP listener address
	Web     string
	mu      sync.Mutex
	out     bytes.Buffer // stdout: ready line + mail log
	lines   chan string
	exited  chan struct{}
	waitErr error
}

// startGateway writes cfg (YAML) into dir and runs serve with it.
func startGateway(t testing.TB, dir, cfg string) *gatewayProc {
	t.Helper()
	path := filepath.Join(dir, "mailwall.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return startProc(t, dir, "serve", "--config", path, "--drain", "20s")
}

// startProc runs the binary with args in dir and waits for its ready line.
func startProc(t testing.TB, dir string, args ...string) *gatewayProc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &gatewayProc{t: t, cmd: cmd, lines: make(chan string, 1<<16), exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			g.mu.Lock()
			g.out.WriteString(sc.Text() + "\n")
			g.mu.Unlock()
			select {
			case g.lines <- sc.Text():
			default:
			}
		}
		g.waitErr = cmd.Wait()
		close(g.exited)
	}()
	t.Cleanup(func() {
		g.kill()
		if t.Failed() {
			t.Logf("gateway stdout:\n%s\ngateway stderr:\n%s", g.Output(), stderr.String())
		}
	})
	ready := g.waitLine(30*time.Second, func(l string) bool { return strings.Contains(l, " ready: smtp ") })
	if ready == "" {
		t.Fatalf("gateway did not start; stderr:\n%s", stderr.String())
	}
	// "mailwall VERSION ready: smtp ADDR [ADDR...], web ADDR"
	f := strings.Fields(strings.SplitN(ready, " ready: smtp ", 2)[1])
	g.SMTP = strings.TrimSuffix(f[0], ",")
	g.Web = f[len(f)-1]
	return g
}

// waitLine waits (bounded) for an output line matching ok and returns it,
// or "" on timeout or exit.
func (g *gatewayProc) waitLine(d time.Duration, ok func(string) bool) string {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case l := <-g.lines:
			if ok(l) {
				return l
			}
		case <-g.exited:
			return ""
		case <-timer.C:
			return ""
		}
	}
}

// Output returns everything printed on stdout so far.
func (g *gatewayProc) Output() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.out.String()
}

func (g *gatewayProc) kill() {
	if g.cmd.ProcessState == nil {
		g.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-g.exited
}

// stop sends SIGTERM and waits (bounded) for a clean exit.
func (g *gatewayProc) stop(t testing.TB) {
	t.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.exited:
	case <-time.After(60 * time.Second):
		t.Fatal("gateway did not stop within 60s of SIGTERM")
	}
}

// peakRSS returns the process's peak resident set size in bytes (VmHWM).
func (g *gatewayProc) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%d", &kb)
			return kb * 1024
		}
	}
	return -1
}

// freeAddr returns a 127.0.0.1 address nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

// baseConfig is a config with a sink next hop and quick retries. The
// antivirus and spam engines are off unless extra configures them.
func baseConfig(dir, nextHop string, extra string) string {
	if !strings.Contains(extra, "antivirus:") {
		extra += "antivirus:\n  enabled: false\n"
	}
	if !strings.Contains(extra, "spam:") {
		extra += "spam:\n  enabled: false\n"
	}
	return fmt.Sprintf(`hostname: mx.example.test
data_dir: %s
local_domains: [example.test]
trusted_networks: [127.0.0.0/8]
smtp:
  listen: ["127.0.0.1:0"]
  min_free_bytes: 1
  max_connections_per_ip: 200
routes:
  - domains: ["*"]
    next_hop: "smtp://%s"
queue:
  retry: [200ms]
  give_up: 120h
web:
  listen: "127.0.0.1:0"
log:
  level: warn
%s`, filepath.Join(dir, "data"), nextHop, extra)
}

// sendMail runs one SMTP transaction over a fresh connection and returns
// the reply to DATA (or the first failing reply).
func sendMail(addr, from string, to []string, data string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(120 * time.Second))
	r := bufio.NewReader(c)
	return transaction(c, r, from, to, data, true)
}

// transaction runs EHLO (if hello), MAIL, RCPT..., DATA on an open
// connection and returns the final reply.
func transaction(w io.Writer, r *bufio.Reader, from string, to []string, data string, hello bool) (string, error) {
	read := func() (string, error) {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return l, err
			}
			if len(l) < 4 || l[3] != '-' {
				return strings.TrimRight(l, "\r\n"), nil
			}
		}
	}
	step := func(cmd, want string) (string, error) {
		if cmd != "" {
			if _, err := io.WriteString(w, cmd); err != nil {
				return "", err
			}
		}
		l, err := read()
		if err != nil {
			return l, err
		}
		if !strings.HasPrefix(l, want) {
			return l, fmt.Errorf("%q: got %q", strings.TrimSpace(cmd), l)
		}
		return l, nil
	}
	if hello {
		if _, err := step("", "220"); err != nil {
			return "", err
		}
		if _, err := step("EHLO client.test\r\n", "250"); err != nil {
			return "", err
		}
	}
	if l, err := step("MAIL FROM:<"+from+">\r\n", "250"); err != nil {
		return l, err
	}
	for _, rc := range to {
		if l, err := step("RCPT TO:<"+rc+">\r\n", "250"); err != nil {
			return l, err
		}
	}
	if l, err := step("DATA\r\n", "354"); err != nil {
		return l, err
	}
	return step(dotStuff(data)+".\r\n", "")
}

func dotStuff(s string) string {
	if strings.HasPrefix(s, ".") {
		s = "." + s
	}
	return strings.ReplaceAll(s, "\r\n.", "\r\n..")
}

// stripPrefix removes the header lines mailwall added in front of the
// original message (our Received and scanner headers) given the original.
func stripPrefix(got []byte, orig string) (prefix string, ok bool) {
	if !bytes.HasSuffix(got, []byte(orig)) {
		return "", false
	}
	return string(got[:len(got)-len(orig)]), true
}

func listenLocal(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func listenOn(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// eicar is the EICAR anti-virus test file.
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// avDB makes a ClamAV database directory holding the EICAR signature.
func avDB(t testing.TB, dir string) string {
	t.Helper()
	db := filepath.Join(dir, "clamav")
	if err := os.MkdirAll(db, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db, "eicar.ndb"), []byte(eicarNDB), 0o644); err != nil {
		t.Fatal(err)
	}
	return db
}

// openData connects to addr and runs EHLO, MAIL FROM:<from>, RCPT
// TO:<user@example.test> and DATA up to the 354, for tests that then send
// the message body themselves (malformed on purpose, or cut short).
func openData(t testing.TB, addr, from string) *smtptest.Client {
	t.Helper()
	c := smtptest.Dial(t, addr)
	c.Run(`
		c <- 220 *
		c -> EHLO client.test
		c <- 250 *
		c -> MAIL FROM:<` + from + `>
		c <- 250 *
		c -> RCPT TO:<user@example.test>
		c <- 250 *
		c -> DATA
		c <- 354 *`)
	return c
}

// withSMTP adds lines (e.g. "bare_lf: normalize") to baseConfig's smtp
// section.
func withSMTP(cfg string, lines ...string) string {
	return strings.Replace(cfg, "  min_free_bytes: 1\n", "  min_free_bytes: 1\n  "+strings.Join(lines, "\n  ")+"\n", 1)
}

// gtubeString is SpamAssassin's GTUBE test string: any message holding it
// scores 1000 with the stock rules.
const gtubeString = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

// stockRules returns the directory of SpamAssassin's stock rules, skipping
// the test when they are not installed.
func stockRules(t *testing.T) string {
	t.Helper()
	rules := "/usr/share/spamassassin"
	if _, err := os.Stat(filepath.Join(rules, "50_scores.cf")); err != nil {
		t.Skip("SpamAssassin's stock rules are not installed (bash scripts/install-deps.sh installs them)")
	}
	return rules
}
