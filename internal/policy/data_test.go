package policy

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"mailwall/internal/envelope"
)

func message(t *testing.T, from string, rcpts ...string) *envelope.Envelope {
	t.Helper()
	env := &envelope.Envelope{From: addr(t, from)}
	for _, r := range rcpts {
		env.Rcpts = append(env.Rcpts, addr(t, r))
	}
	return env
}

// TestRateLimitPerUser: the N+1th message of an account within the
// window gets 451 4.7.1 and a log line naming the account.
func TestRateLimitPerUser(t *testing.T) {
	e, logs, now := newEngine(t, Config{RateLimits: RateLimits{PerUser: Limit{Messages: 5, Window: time.Hour}}})
	c := tlsConn("198.51.100.7")
	c.AuthUser = "alice@example.test"
	env := message(t, "alice@example.test", "x@other.test")
	for i := range 5 {
		if d := e.Data(context.Background(), c, env); d.Action != Continue {
			t.Fatalf("message %d: %v", i+1, d.Text(false))
		}
		*now = now.Add(time.Second)
	}
	d := e.Data(context.Background(), c, env)
	if d.Text(false) != "451 4.7.1 Sending rate limit exceeded, try again later" {
		t.Errorf("message 6: %q", d.Text(false))
	}
	if !strings.Contains(logs.String(), "rate limit exceeded") || !strings.Contains(logs.String(), "account=user:alice@example.test") {
		t.Errorf("no warning naming the account:\n%s", logs)
	}
	// Another user is not affected; the bucket refills (5 per hour = one
	// per 12 minutes).
	other := tlsConn("198.51.100.7")
	other.AuthUser = "bob@example.test"
	if d := e.Data(context.Background(), other, env); d.Action != Continue {
		t.Errorf("other user: %v", d.Text(false))
	}
	*now = now.Add(13 * time.Minute)
	if d := e.Data(context.Background(), c, env); d.Action != Continue {
		t.Errorf("after refill: %v", d.Text(false))
	}
}

// TestRateLimitSlowSpammer: a compromised account sending a few a minute
// stays under the bucket but hits the daily cap.
func TestRateLimitSlowSpammer(t *testing.T) {
	e, _, now := newEngine(t, Config{RateLimits: RateLimits{PerUser: Limit{Messages: 10, Window: time.Minute, Daily: 100}}})
	c := tlsConn("198.51.100.7")
	c.AuthUser = "alice"
	env := message(t, "alice@example.test", "x@other.test")
	sent := 0
	for range 500 {
		if e.Data(context.Background(), c, env).Action != Continue {
			break
		}
		sent++
		*now = now.Add(20 * time.Second) // 3 a minute
	}
	if sent != 100 {
		t.Errorf("sent %d before the daily cap, want 100", sent)
	}
}

func TestRateLimitNewRecipients(t *testing.T) {
	e, _, _ := newEngine(t, Config{
		TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		RateLimits:      RateLimits{PerSender: Limit{NewRcptsDaily: 3}},
	})
	c := conn("10.0.0.5")
	ctx := context.Background()
	for i := range 3 {
		if d := e.Data(ctx, c, message(t, "news@example.test", fmt.Sprintf("r%d@other.test", i))); d.Action != Continue {
			t.Fatalf("rcpt %d: %v", i, d.Text(false))
		}
	}
	if d := e.Data(ctx, c, message(t, "news@example.test", "r0@other.test", "r1@other.test")); d.Action != Continue {
		t.Errorf("known recipients again: %v", d.Text(false))
	}
	if d := e.Data(ctx, c, message(t, "news@example.test", "new@other.test")); d.Action != TempFail {
		t.Errorf("4th new recipient: %v, want tempfail", d.Action)
	}
	// Inbound mail from the internet does not count against a sender.
	if d := e.Data(ctx, conn("198.51.100.1"), message(t, "news@example.test", "z@example.test")); d.Action != Continue {
		t.Errorf("inbound forged sender: %v", d.Action)
	}
}

func TestRateLimitPerIP(t *testing.T) {
	e, _, _ := newEngine(t, Config{RateLimits: RateLimits{PerIP: Limit{Messages: 2, Window: time.Hour}}})
	env := message(t, "", "x@example.test")
	for i, want := range []Action{Continue, Continue, TempFail} {
		if d := e.Data(context.Background(), conn("198.51.100.3"), env); d.Action != want {
			t.Errorf("message %d: %v, want %v", i+1, d.Action, want)
		}
	}
}
