package policy

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"mailwall/internal/envelope"
)

// TestRelayTricks guards RELIABILITY.md "Relay and AUTH": from an
// untrusted address every relay form is refused.
func TestRelayTricks(t *testing.T) {
	e, _, _ := newEngine(t, Config{
		Hostname:     "mx.example.test",
		LocalDomains: []string{"example.test"},
		RelayDomains: []string{"backup.test"},
	})
	untrusted := conn("198.51.100.7")
	tests := []struct {
		rcpt string
		want string // reply prefix, or "ok"/"relay"
	}{
		{"user@example.test", "ok"},
		{"USER@EXAMPLE.TEST.", "ok"},
		{"user@backup.test", "relay"},
		{"postmaster", "ok"},
		{"@mx.example.test:user@example.test", "ok"},
		{"postmaster@[192.0.2.25]", "ok"}, // as postmaster@example.test

		{"user@other.test", "550 5.7.1 <user@other.test>: Relay access denied"},
		{"user@OTHER.TEST.", "550 5.7.1 <user@OTHER.TEST.>: Relay access denied"},
		{"user%other.test@example.test", "550 5.7.1 <user%other.test@example.test>: Relay access denied"},
		{"user%other.test@backup.test", "550 5.7.1"},
		{"@example.test:user@other.test", "550 5.7.1 <@example.test:user@other.test>: Relay access denied"},
		{"@a.example.test,@b.example.test:user@other.test", "550 5.7.1"},
		{`"user@other.test"@example.test`, "550 5.7.1"},
		{`"user%other.test"@example.test`, "550 5.7.1"},
		{"other.test!user@example.test", "550 5.7.1"},
		{"user@[192.0.2.1]", "550 5.7.1 <user@[192.0.2.1]>: Relay access denied"},
		{"user@[192.0.2.25]", "550 5.7.1"},
		{"user@[IPv6:2001:db8::1]", "550 5.7.1"},
		{"user@other.test.example.test.other.test", "550 5.7.1"},
		{"user@example.test.other.test", "550 5.7.1"},
		{"user@sub.example.test", "550 5.7.1"},

		{`"user@other.test"`, "553 5.1.3"},
		{"other.test!user", "553 5.1.3"},
		{"user", "553 5.1.3 <user>: Recipient address must be fully qualified"},
		{"user@other.test@example.test", "501 5.1.3"},
		{"", "501 5.1.3"},
		{strings.Repeat("a", 300) + "@example.test", "501 5.1.3"},
		{"@example.test", "501 5.1.3"},
		{"user@", "501 5.1.3"},
		{"user@[300.1.1.1]", "501 5.1.3"},
		{"user@exam ple.test", "501 5.1.3"},
		{"user\r\nRSET@example.test", "501 5.1.3"},
	}
	for _, tt := range tests {
		_, d := e.Rcpt(context.Background(), untrusted, envelope.Address{}, tt.rcpt)
		got := d.Action.String()
		if d.Err != nil {
			got = d.Text(false)
		}
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("RCPT <%s>: got %q, want %q", tt.rcpt, got, tt.want)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("RCPT <%q>: reply has CR/LF: %q", tt.rcpt, got)
		}
	}
}

// TestRelayAllowed: trusted networks, authenticated sessions and access
// map RELAY may relay; the same tricks then resolve as given.
func TestRelayAllowed(t *testing.T) {
	am := writeFile(t, "access", "Connect:203.0.113 RELAY\nTo:partner.test RELAY\n")
	e, _, _ := newEngine(t, Config{
		LocalDomains:    []string{"example.test"},
		TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		AccessMap:       am,
	})
	auth := conn("198.51.100.7")
	auth.AuthUser = "alice@example.test"
	tests := []struct {
		c    *envelope.Conn
		rcpt string
		want Action
	}{
		{conn("10.1.2.3"), "user@other.test", Relay},
		{conn("10.1.2.3"), "user%other.test@example.test", OK},
		{auth, "user@other.test", Relay},
		{conn("203.0.113.9"), "user@other.test", Relay},
		{conn("198.51.100.7"), "user@partner.test", Relay},
		{conn("198.51.100.7"), "user@other.test", Reject},
	}
	for _, tt := range tests {
		a, d := e.Rcpt(context.Background(), tt.c, envelope.Address{}, tt.rcpt)
		if d.Action != tt.want {
			t.Errorf("%s RCPT <%s>: %v (%s), want %v", tt.c.IP(), tt.rcpt, d.Action, d.Text(false), tt.want)
		}
		if d.Action == Relay && a.Domain == "" {
			t.Errorf("%s RCPT <%s>: no address returned", tt.c.IP(), tt.rcpt)
		}
	}
}

func TestPostmasterDomain(t *testing.T) {
	e, _, _ := newEngine(t, Config{LocalDomains: []string{"Example.Test."}})
	a, d := e.Rcpt(context.Background(), conn("198.51.100.7"), envelope.Address{}, "Postmaster")
	if d.Action != OK || a.String() != "Postmaster@example.test" {
		t.Errorf("RCPT <Postmaster> = %q %v", a.String(), d.Action)
	}
}

// FuzzRcptNeverRelays: whatever the recipient, an untrusted client never
// gets a recipient accepted outside local and relay domains, nor one whose
// local part routes elsewhere, and every refusal is one safe line.
func FuzzRcptNeverRelays(f *testing.F) {
	for _, s := range []string{"user@example.test", "user%other.test@example.test", `"a@b"@example.test`,
		"@example.test:u@other.test", "other.test!u@example.test", "u@[192.0.2.25]", "postmaster",
		"u@EXAMPLE.TEST.", "u@backup.test", "u@example.test@other.test", `"u\"@x"@example.test`} {
		f.Add(s)
	}
	e, err := New(Config{LocalDomains: []string{"example.test"}, RelayDomains: []string{"backup.test"}}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	c := conn("198.51.100.7")
	f.Fuzz(func(t *testing.T, raw string) {
		a, d := e.Rcpt(context.Background(), c, envelope.Address{}, raw)
		switch d.Action {
		case OK, Relay:
			if a.Domain != "example.test" && a.Domain != "backup.test" {
				t.Fatalf("RCPT <%q> accepted for %q (%v)", raw, a.String(), d.Action)
			}
			if strings.ContainsAny(a.Local, "%!@:") {
				t.Fatalf("RCPT <%q> accepted with routing local part %q", raw, a.Local)
			}
		case Reject, TempFail:
			if txt := d.Text(true) + d.Text(false); strings.ContainsAny(txt, "\r\n\x00") {
				t.Fatalf("reply with control characters: %q", txt)
			}
		default:
			t.Fatalf("RCPT <%q>: action %v", raw, d.Action)
		}
	})
}
