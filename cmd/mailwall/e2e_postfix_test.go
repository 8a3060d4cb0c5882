package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// startPostfix runs a private Postfix instance on a free 127.0.0.1 port,
// relaying everything to relayhost, with extra main.cf lines. It skips the
// test when Postfix is not installed or we are not root.
func startPostfix(t *testing.T, relayhost, extra string) string {
	t.Helper()
	if _, err := exec.LookPath("postfix"); err != nil {
		if _, err := os.Stat("/usr/sbin/postfix"); err != nil {
			t.Skip("postfix not installed (bash scripts/install-deps.sh installs it)")
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("a private Postfix instance needs root")
	}
	dir, err := os.MkdirTemp("", "mailwall-postfix")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755) // Postfix daemons run as user postfix
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"etc", "spool", "data"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	exec.Command("chown", "postfix", filepath.Join(dir, "data")).Run()
	addr := freeAddr(t)
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/spool
data_directory = %[1]s/data
meta_directory = /etc/postfix
daemon_directory = /usr/lib/postfix/sbin
command_directory = /usr/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relayhost = [%[2]s]:%[3]s
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_tls_security_level = none
smtp_tls_security_level = none
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
%[4]s
`, dir, strings.Split(relayhost, ":")[0], strings.Split(relayhost, ":")[1], extra)
	masterCF := addr + ` inet n - n - - smtpd
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
postlog   unix-dgram n - n - 1 postlogd
`
	os.WriteFile(filepath.Join(dir, "etc", "main.cf"), []byte(mainCF), 0o644)
	os.WriteFile(filepath.Join(dir, "etc", "master.cf"), []byte(masterCF), 0o644)
	os.WriteFile(filepath.Join(dir, "maillog"), nil, 0o644)
	if out, err := exec.Command("postfix", "-c", filepath.Join(dir, "etc"), "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "maillog"))
		t.Fatalf("postfix start: %v %s\n%s", err, out, log)
	}
	t.Cleanup(func() { exec.Command("postfix", "-c", filepath.Join(dir, "etc"), "stop").Run() })
	for i := 0; i < 150; i++ { // bounded wait for smtpd to listen
		if c, err := dialQuick(addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("postfix did not listen within 15s")
	return ""
}

// TestPostfixMilter: real Postfix calls mailwall as its milter. A sender
// the access map refuses is rejected by Postfix at MAIL FROM with our
// reply, a virus at the end of DATA; other mail passes and is delivered
// by Postfix.
func TestPostfixMilter(t *testing.T) {
	dir := t.TempDir()
	sink := smtptest.NewSink(t)
	milterAddr := freeAddr(t)
	access := filepath.Join(dir, "access")
	os.WriteFile(access, []byte("spam@hacker.test REJECT\nspammail.test ERROR:5.7.1:550 No mail from spammail\n"), 0o644)
	cfg := fmt.Sprintf(`hostname: gw.example.test
data_dir: %s/data
smtp:
  listen: ["127.0.0.1:0"]
  min_free_bytes: 1
milter:
  listen: ["%s"]
routes:
  - domains: ["*"]
    next_hop: "smtp://%s"
policy:
  access_map: %s
web:
  listen: ""
antivirus:
  database_dir: %s
spam:
  enabled: false
`, dir, milterAddr, sink.Addr, access, avDB(t, dir))
	g := startGateway(t, dir, cfg)
	pf := startPostfix(t, sink.Addr, "smtpd_milters = inet:"+milterAddr+"\nmilter_default_action = tempfail\nmilter_protocol = 6")
	reply, err := sendMail(pf, "spam@hacker.test", []string{"u@example.test"}, smtptest.Msg("spam@hacker.test", "u@example.test", "x", "x"))
	if err == nil || !strings.HasPrefix(reply, "5") {
		t.Errorf("access-map sender through Postfix: %q %v, want a 5xx", reply, err)
	}
	reply, _ = sendMail(pf, "x@spammail.test", []string{"u@example.test"}, smtptest.Msg("x@spammail.test", "u@example.test", "x", "x"))
	if !strings.HasPrefix(reply, "550 5.7.1 No mail from spammail") {
		t.Errorf("custom access-map reply through Postfix: %q", reply)
	}
	reply, _ = sendMail(pf, "ok@client.test", []string{"u@example.test"}, smtptest.Msg("ok@client.test", "u@example.test", "virus", eicar))
	if !strings.HasPrefix(reply, "554 5.7.1 Virus found: Eicar-Test-Signature") {
		t.Errorf("EICAR through Postfix: %q", reply)
	}
	reply, err = sendMail(pf, "ok@client.test", []string{"u@example.test"}, smtptest.Msg("ok@client.test", "u@example.test", "through postfix", "x"))
	if err != nil || !strings.HasPrefix(reply, "250") {
		t.Fatalf("clean mail through Postfix: %q %v", reply, err)
	}
	waitMessages(t, sink, 1, 60*time.Second)
	if l := g.waitLine(10*time.Second, func(l string) bool { return strings.Contains(l, "queued from=<ok@client.test>") }); l == "" && !strings.Contains(g.Output(), "queued from=<ok@client.test>") {
		t.Errorf("mailwall did not see the message as milter:\n%s", g.Output())
	}
}
