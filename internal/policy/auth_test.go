package policy

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"mailwall/internal/envelope"
	"mailwall/internal/smtp"
)

func TestMain(m *testing.M) {
	// Cheap hashes keep the tests fast; the format is the same.
	hashParams = argonParams{mem: 64, time: 1, threads: 1}
	os.Exit(m.Run())
}

func usersFileFor(t *testing.T, users map[string]string) string {
	t.Helper()
	var us []User
	for name, pw := range users {
		h, err := HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, User{Name: name, Hash: h, Checked: true})
	}
	path := writeFile(t, "users", "")
	if err := SaveUsers(path, us); err != nil {
		t.Fatal(err)
	}
	return path
}

func tlsConn(ip string) *envelope.Conn {
	c := conn(ip)
	c.TLS = true
	return c
}

func code(err error) int {
	if e := smtp.As(err); e != nil {
		return e.Code
	}
	return 0
}

// TestAuth guards RELIABILITY.md "Relay and AUTH": unknown user and wrong
// password get the same 535 5.7.8; AUTH without TLS is refused; a good
// login relays.
func TestAuth(t *testing.T) {
	path := usersFileFor(t, map[string]string{"alice@example.test": "correct horse battery"})
	e, logs, _ := newEngine(t, Config{LocalDomains: []string{"example.test"}, Auth: AuthConfig{UsersFile: path}})
	ctx := context.Background()

	if err := e.Authenticate(ctx, conn("198.51.100.7"), "alice@example.test", "correct horse battery"); code(err) != 538 {
		t.Errorf("AUTH without TLS: %v, want 538", err)
	}
	wrong := e.Authenticate(ctx, tlsConn("198.51.100.7"), "alice@example.test", "wrong")
	unknown := e.Authenticate(ctx, tlsConn("198.51.100.8"), "mallory@example.test", "wrong")
	if wrong == nil || unknown == nil || wrong.Error() != unknown.Error() || code(wrong) != 535 {
		t.Errorf("wrong password %v vs unknown user %v: want the same 535 5.7.8", wrong, unknown)
	}
	if !strings.HasPrefix(wrong.Error(), "535 5.7.8 ") {
		t.Errorf("reply %q", wrong)
	}
	c := tlsConn("198.51.100.9")
	if err := e.Authenticate(ctx, c, "Alice@Example.Test", "correct horse battery"); err != nil {
		t.Fatalf("good login: %v", err)
	}
	c.AuthUser = "alice@example.test"
	if _, d := e.Rcpt(ctx, c, addr(t, "alice@example.test"), "bob@other.test"); d.Action != Relay {
		t.Errorf("authenticated RCPT to other.test: %v, want relay", d.Action)
	}
	if !strings.Contains(logs.String(), "auth failed") || !strings.Contains(logs.String(), "mallory@example.test") {
		t.Errorf("failures not in the log:\n%s", logs)
	}
}

func TestAuthPlaintextLoopback(t *testing.T) {
	path := usersFileFor(t, map[string]string{"alice": "correct horse battery"})
	e, _, _ := newEngine(t, Config{Auth: AuthConfig{UsersFile: path, AllowPlaintextLoopback: true}})
	if err := e.Authenticate(context.Background(), conn("127.0.0.1"), "alice", "correct horse battery"); err != nil {
		t.Errorf("loopback plaintext allowed: %v", err)
	}
	if err := e.Authenticate(context.Background(), conn("198.51.100.1"), "alice", "correct horse battery"); code(err) != 538 {
		t.Errorf("non-loopback plaintext: %v, want 538", err)
	}
}

// TestAuthThrottle guards RELIABILITY.md: repeated failures are throttled
// per IP and per user, with a growing delay and then a lockout.
func TestAuthThrottle(t *testing.T) {
	path := usersFileFor(t, map[string]string{"alice": "correct horse battery"})
	e, logs, now := newEngine(t, Config{Auth: AuthConfig{UsersFile: path, Throttle: Throttle{
		FreeFailures: 2, BaseDelay: 10 * time.Second, MaxDelay: time.Minute, LockoutAfter: 5, Lockout: time.Hour}}})
	ctx := context.Background()
	attacker := tlsConn("198.51.100.66")
	for i := range 2 {
		if err := e.Authenticate(ctx, attacker, "alice", "guess"); code(err) != 535 {
			t.Fatalf("failure %d: %v, want 535", i+1, err)
		}
	}
	// Third failure: now a 10 s delay starts.
	if err := e.Authenticate(ctx, attacker, "alice", "guess"); code(err) != 535 {
		t.Fatalf("failure 3: %v", err)
	}
	if err := e.Authenticate(ctx, attacker, "alice", "correct horse battery"); !errors.Is(err, ErrAuthThrottled) {
		t.Fatalf("during delay, even the right password: %v, want 454", err)
	}
	// Per user: another IP trying alice is throttled too.
	if err := e.Authenticate(ctx, tlsConn("203.0.113.5"), "alice", "guess"); code(err) != 454 {
		t.Errorf("same user from another IP: %v, want 454", err)
	}
	// Per IP: the attacker trying another user is throttled too.
	if err := e.Authenticate(ctx, attacker, "bob", "guess"); code(err) != 454 {
		t.Errorf("same IP, other user: %v, want 454", err)
	}
	*now = now.Add(11 * time.Second)
	if err := e.Authenticate(ctx, attacker, "alice", "guess"); code(err) != 535 {
		t.Fatalf("failure 4 after delay: %v", err)
	}
	*now = now.Add(15 * time.Second) // delay doubled to 20 s
	if err := e.Authenticate(ctx, attacker, "alice", "guess"); code(err) != 454 {
		t.Errorf("within doubled delay: %v, want 454", err)
	}
	*now = now.Add(10 * time.Second)
	if err := e.Authenticate(ctx, attacker, "alice", "guess"); code(err) != 535 {
		t.Fatalf("failure 5: %v", err)
	}
	*now = now.Add(5 * time.Minute) // past MaxDelay, but locked out for an hour
	if err := e.Authenticate(ctx, attacker, "alice", "correct horse battery"); code(err) != 454 {
		t.Errorf("during lockout: %v, want 454", err)
	}
	*now = now.Add(time.Hour)
	if err := e.Authenticate(ctx, tlsConn("203.0.113.5"), "alice", "correct horse battery"); err != nil {
		t.Errorf("after lockout: %v", err)
	}
	if !strings.Contains(logs.String(), "auth throttled") {
		t.Errorf("throttling not logged")
	}
}

func TestUsersFile(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("bcrypt password here"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "users", "# comment\n\nBob@Example.Test:"+string(bc)+"\nold:!disabled\n")
	e, _, _ := newEngine(t, Config{Auth: AuthConfig{UsersFile: path}})
	if err := e.Authenticate(context.Background(), tlsConn("198.51.100.1"), "bob@example.test", "bcrypt password here"); err != nil {
		t.Errorf("bcrypt login: %v", err)
	}
	if err := e.Authenticate(context.Background(), tlsConn("198.51.100.2"), "old", "disabled"); code(err) != 535 {
		t.Errorf("disabled account: %v", err)
	}
	bad := []struct{ in, want string }{
		{"alice", "users:1: want name:hash"},
		{"alice:plaintext", "unsupported hash"},
		{"alice:$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "unsupported hash"},
		{"a:!x\na:!y", "users:2: a already defined on line 1"},
		{"a:!x:weird", "unknown flag"},
	}
	for _, tt := range bad {
		if _, err := ParseUsers("users", []byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseUsers(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestWeakPassword(t *testing.T) {
	tests := []struct{ user, pw, want string }{
		{"webmaster", "webmaster", "equals the user name"},
		{"alice@example.test", "ALICE", "equals the user name"},
		{"alice@example.test", "example.test", "equals the domain"},
		{"alice@example.test", "example", "equals the domain"},
		{"alice@example.test", "short", "shorter than 10"},
		{"alice@example.test", "Password123", "common-password list"},
		{"alice@example.test", "qwertyuiop", "common-password list"},
		{"alice@example.test", "correct horse battery", ""},
	}
	for _, tt := range tests {
		got := WeakPassword(tt.user, tt.pw)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("WeakPassword(%q, %q) = %q, want %q", tt.user, tt.pw, got, tt.want)
		}
	}
	if n := len(CommonPasswords()); n < 250 {
		t.Errorf("common list has %d entries", n)
	}
}

func TestAuditUser(t *testing.T) {
	hash := func(pw string) string {
		h, err := HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	tests := []struct {
		u    User
		want []string
	}{
		{User{Name: "webmaster", Hash: hash("webmaster")}, []string{"default account", "equals the user name", "not set with mailwall"}},
		{User{Name: "alice@example.test", Hash: hash("example"), Checked: true}, []string{"equals the domain"}},
		{User{Name: "bob@example.test", Hash: hash("letmein"), Checked: true}, []string{"common-password list"}},
		{User{Name: "carol@example.test", Hash: hash("correct horse battery"), Checked: true}, nil},
		{User{Name: "admin", Hash: "!" + hash("admin")}, nil},
	}
	for _, tt := range tests {
		got := AuditUser(tt.u, 0)
		if len(got) != len(tt.want) {
			t.Errorf("AuditUser(%s) = %v, want %v", tt.u.Name, got, tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i].Reason, w) {
				t.Errorf("AuditUser(%s)[%d] = %q, want %q", tt.u.Name, i, got[i].Reason, w)
			}
		}
	}
}

// TestUsersFileReload: an account added with `mailwall users` while the
// server runs can log in within a second.
func TestUsersFileReload(t *testing.T) {
	path := usersFileFor(t, map[string]string{"alice": "correct horse battery"})
	e, _, now := newEngine(t, Config{Auth: AuthConfig{UsersFile: path}})
	ctx := context.Background()
	if err := e.Authenticate(ctx, tlsConn("198.51.100.1"), "bob", "another long passphrase"); code(err) != 535 {
		t.Fatalf("bob before: %v", err)
	}
	us, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := HashPassword("another long passphrase")
	if err := SaveUsers(path, append(us, User{Name: "bob", Hash: h, Checked: true})); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(2 * time.Second)
	if err := e.Authenticate(ctx, tlsConn("198.51.100.2"), "bob", "another long passphrase"); err != nil {
		t.Errorf("bob after reload: %v", err)
	}
}

// TestStateSurvivesReload: the engine built on a config reload shares the
// old one's State, so throttling and rate limits carry over.
func TestStateSurvivesReload(t *testing.T) {
	path := usersFileFor(t, map[string]string{"alice": "correct horse battery"})
	st := NewState(nil)
	cfg := Config{State: st, Auth: AuthConfig{UsersFile: path, Throttle: Throttle{FreeFailures: 1, LockoutAfter: 2, Lockout: time.Hour}},
		RateLimits: RateLimits{PerUser: Limit{Daily: 1}}}
	old, _, _ := newEngine(t, cfg)
	c := tlsConn("198.51.100.66")
	for range 2 {
		old.Authenticate(context.Background(), c, "alice", "guess")
	}
	c.AuthUser = "alice"
	old.Data(context.Background(), c, &envelope.Envelope{})
	reloaded, _, _ := newEngine(t, cfg)
	if err := reloaded.Authenticate(context.Background(), tlsConn("198.51.100.66"), "alice", "correct horse battery"); code(err) != 454 {
		t.Errorf("after reload: %v, want still locked out (454)", err)
	}
	if d := reloaded.Data(context.Background(), c, &envelope.Envelope{}); d.Action != TempFail {
		t.Errorf("after reload: daily cap forgotten: %v", d.Action)
	}
}

// TestAuthBoundedChecks: when every password-check slot is busy, a login
// waits; if its context ends first it gets 454, not a check.
func TestAuthBoundedChecks(t *testing.T) {
	path := usersFileFor(t, map[string]string{"alice": "correct horse battery"})
	st := NewState(nil)
	e, _, _ := newEngine(t, Config{State: st, Auth: AuthConfig{UsersFile: path}})
	for range cap(st.hashSlots) {
		st.hashSlots <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Authenticate(ctx, tlsConn("198.51.100.1"), "alice", "correct horse battery"); !errors.Is(err, ErrAuthThrottled) {
		t.Errorf("all slots busy, context done: %v, want 454", err)
	}
	<-st.hashSlots
	if err := e.Authenticate(context.Background(), tlsConn("198.51.100.1"), "alice", "correct horse battery"); err != nil {
		t.Errorf("a slot free: %v", err)
	}
}
