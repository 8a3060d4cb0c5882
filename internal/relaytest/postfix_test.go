package relaytest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// postfixRelay configures the private Postfix as an open relay (every
// client trusted) or a closed one (no client trusted), with the address
// rewrites that old relay testers probe enabled.
func postfixRelay(open bool) string {
	mynet := "192.0.2.0/24"
	if open {
		mynet = "0.0.0.0/0"
	}
	return `myhostname = mx.example.test
mydomain = example.test
mydestination = example.test
relay_domains =
relayhost = [127.0.0.1]:9
mynetworks = ` + mynet + `
smtpd_recipient_restrictions =
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
allow_percent_hack = yes
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
swap_bangpath = yes`
}

func TestRelayPostfix(t *testing.T) {
	for _, open := range []bool{true, false} {
		t.Run(map[bool]string{true: "open", false: "closed"}[open], func(t *testing.T) {
			addr, dir := smtptest.StartPostfix(t, postfixRelay(open))
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
