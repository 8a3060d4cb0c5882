package smtptest

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// postfixMain is the base main.cf of a private Postfix instance: its own
// queue and logs under dir, loopback only, no DNS, no TLS, no local
// delivery. Extra lines given to StartPostfix come after it and win
// (Postfix takes the last setting of a parameter).
const postfixMain = `compatibility_level = 3.6
queue_directory = {dir}/spool
data_directory = {dir}/data
meta_directory = /etc/postfix
daemon_directory = /usr/lib/postfix/sbin
command_directory = /usr/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.test
mydestination =
local_recipient_maps =
local_transport = error:local delivery disabled
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
biff = no
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
`

const postfixMaster = `127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd -o max_use=1000000 -o max_idle=3600s
`

// StartPostfix runs a private Postfix instance (Debian's package) on a
// free 127.0.0.1 port with extra main.cf lines, and stops it when the test
// ends. It returns the SMTP address and the instance directory (its
// maillog is dir/maillog). The test is skipped when Postfix is missing or
// the test does not run as root (Postfix's daemons need it).
//
// An instance that does not greet within postfixGreetWait (seen in CI
// once: the port accepted but no smtpd ever answered) is stopped and a new
// one started on another port, at most postfixAttempts times; the error
// then carries every attempt's maillog and process list.
func StartPostfix(t testing.TB, extra string) (addr, dir string) {
	t.Helper()
	if _, err := exec.LookPath("postfix"); err != nil {
		t.Skip("postfix not installed (bash scripts/install-deps.sh installs it)")
	}
	if os.Geteuid() != 0 {
		t.Skip("a private Postfix instance needs root")
	}
	var report strings.Builder
	for attempt := 1; attempt <= postfixAttempts; attempt++ {
		addr, dir, diag := startPostfixOnce(t, extra)
		if diag == "" {
			return addr, dir
		}
		fmt.Fprintf(&report, "attempt %d: %s\n", attempt, diag)
	}
	t.Fatalf("private Postfix never greeted:\n%s", report.String())
	return "", ""
}

const (
	postfixAttempts  = 3
	postfixGreetWait = 30 * time.Second
)

// startPostfixOnce starts one instance. diag is empty when it greets; when
// it does not, the instance is already stopped and diag says what was seen.
func startPostfixOnce(t testing.TB, extra string) (addr, dir, diag string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "mailwall-postfix")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // Postfix daemons run as user postfix
	for _, d := range []string{"etc", "spool", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chown", "postfix", filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		t.Skipf("no postfix user: %v %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	r := strings.NewReplacer("{dir}", dir, "{port}", port)
	etc := filepath.Join(dir, "etc")
	os.WriteFile(filepath.Join(etc, "main.cf"), []byte(mergeMainCf(r.Replace(postfixMain), extra)), 0o644)
	os.WriteFile(filepath.Join(etc, "master.cf"), []byte(r.Replace(postfixMaster)), 0o644)
	os.WriteFile(filepath.Join(dir, "maillog"), nil, 0o644)
	if out, err := runPostfix(etc, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "maillog"))
		t.Fatalf("postfix start: %v %s\n%s", err, out, log)
	}
	pidFile := filepath.Join(dir, "spool", "pid", "master.pid")
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		runPostfix(etc, "stop")
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL) // only our own master, if stop failed
			}
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(postfixGreetWait)
	for tries := 0; tries < 120 && time.Now().Before(deadline); tries++ { // bounded wait for an external process
		if greets(addr) {
			return addr, dir, ""
		}
		time.Sleep(250 * time.Millisecond)
	}
	status, _ := runPostfix(etc, "status")
	procs, _ := exec.Command("ps", "-eo", "pid,ppid,stat,etime,args").CombinedOutput()
	var ours []string
	for _, line := range strings.Split(string(procs), "\n") {
		if strings.Contains(line, "postfix") || strings.Contains(line, "smtpd") || strings.Contains(line, "master") {
			ours = append(ours, line)
		}
	}
	stop()
	log, _ := os.ReadFile(filepath.Join(dir, "maillog"))
	return "", "", fmt.Sprintf("no greeting on %s within %v\npostfix status: %s\nprocesses:\n%s\nmaillog:\n%s",
		addr, postfixGreetWait, strings.TrimSpace(string(status)), strings.Join(ours, "\n"), log)
}

// mergeMainCf returns base with the parameters set in extra replaced in
// place and the new ones appended. Postfix would take the last setting
// anyway, but every daemon would log an "overriding earlier entry" warning
// at each start; a private instance logs through one postlogd over a
// datagram socket whose queue holds 10 messages, and a burst of warnings
// while postlogd is being (re)started can block the master and every
// daemon on that socket.
func mergeMainCf(base, extra string) string {
	lines := strings.Split(strings.TrimRight(base, "\n"), "\n")
	index := map[string]int{}
	key := func(line string) string {
		if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
			return ""
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok {
			return ""
		}
		return strings.TrimSpace(k)
	}
	for i, l := range lines {
		if k := key(l); k != "" {
			index[k] = i
		}
	}
	for _, l := range strings.Split(extra, "\n") {
		k := key(l)
		if i, ok := index[k]; ok && k != "" {
			lines[i] = l
			continue
		}
		if l != "" {
			index[k] = len(lines)
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// runPostfix runs "postfix -c etc verb", killed after a minute: a test
// must never hang on a peer's control command.
func runPostfix(etc, verb string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return exec.CommandContext(ctx, "postfix", "-c", etc, verb).CombinedOutput()
}

// greets reports whether an SMTP server at addr sends its 220 banner
// (a listening socket alone is not enough: Postfix's master accepts
// before its smtpd has started).
func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	b := make([]byte, 4)
	n, _ := io.ReadFull(c, b)
	if n == 4 && string(b) == "220 " {
		c.Write([]byte("QUIT\r\n"))
		return true
	}
	return false
}
