package relaytest

import (
	"bytes"
	"context"
	"fmt"
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

// postfixMainCf is a private Postfix instance: its own queue, loopback
// only, no DNS, no delivery (a relayed message would sit in the private
// queue; relaytest never sends DATA anyway). restrictions decides whether
// it is an open relay.
const postfixMainCf = `compatibility_level = 3.6
queue_directory = {dir}/spool
data_directory = {dir}/data
meta_directory = /etc/postfix
daemon_directory = /usr/lib/postfix/sbin
command_directory = /usr/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.test
mydomain = example.test
myorigin = $mydomain
mydestination = example.test
local_recipient_maps =
local_transport = error:local delivery disabled
alias_maps =
alias_database =
relay_domains =
relayhost = [127.0.0.1]:9
mynetworks = {mynetworks}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_relay_restrictions = {restrictions}
smtpd_recipient_restrictions =
smtp_dns_support_level = disabled
smtpd_tls_security_level = none
smtp_tls_security_level = none
biff = no
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
allow_percent_hack = yes
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
swap_bangpath = yes
`

const postfixMasterCf = `127.0.0.1:{port} inet n - n - - smtpd
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
postlog   unix-dgram n - n - 1 postlogd
`

// startPostfix starts a private Postfix on a free loopback port and stops
// it (by its master PID) when the test ends.
func startPostfix(t *testing.T, open bool) (addr, dir string) {
	t.Helper()
	if _, err := exec.LookPath("postfix"); err != nil {
		t.Skip("postfix not installed: apt-get install postfix")
	}
	if os.Geteuid() != 0 {
		t.Skip("postfix test needs root to start a private instance")
	}
	dir, err := os.MkdirTemp("", "mwpf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // Postfix daemons run as postfix
		t.Fatal(err)
	}
	for _, d := range []string{"etc", "spool", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chown", "postfix", filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		t.Skipf("no postfix user: %v %s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	mynet, restr := "192.0.2.0/24", "permit_mynetworks, reject_unauth_destination"
	if open {
		mynet = "0.0.0.0/0"
	}
	r := strings.NewReplacer("{dir}", dir, "{mynetworks}", mynet, "{restrictions}", restr, "{port}", strconv.Itoa(port))
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, "etc", name), []byte(r.Replace(data)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.cf", postfixMainCf)
	write("master.cf", postfixMasterCf)
	etc := filepath.Join(dir, "etc")
	if out, err := exec.Command("postfix", "-c", etc, "start").CombinedOutput(); err != nil {
		maillog, _ := os.ReadFile(filepath.Join(dir, "maillog"))
		t.Skipf("postfix would not start: %v\n%s\n%s", err, out, maillog)
	}
	pidFile := filepath.Join(dir, "spool", "pid", "master.pid")
	t.Cleanup(func() {
		exec.Command("postfix", "-c", etc, "stop").Run()
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL) // only our own master, if stop failed
			}
		}
	})
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr, dir
		}
		time.Sleep(100 * time.Millisecond) // waiting for an external process, bounded
	}
	t.Skipf("postfix did not listen on %s", addr)
	return "", ""
}

func TestRelayPostfix(t *testing.T) {
	for _, open := range []bool{true, false} {
		t.Run(map[bool]string{true: "open", false: "closed"}[open], func(t *testing.T) {
			addr, dir := startPostfix(t, open)
			rep := Relay(context.Background(), addr, Options{Helo: "client.test", Timeout: 10 * time.Second})
			var out bytes.Buffer
			WriteReport(&out, rep)
			t.Logf("\n%s", out.String())
			if rep.Err != nil {
				maillog, _ := os.ReadFile(filepath.Join(dir, "maillog"))
				t.Fatalf("%v\n%s", rep.Err, maillog)
			}
			if rep.Relays() != open {
				t.Errorf("Relays() = %v, want %v", rep.Relays(), open)
			}
			if !open && !strings.Contains(out.String(), "Relay access denied") {
				t.Errorf("closed Postfix: no relay-denied reply")
			}
		})
	}
}
