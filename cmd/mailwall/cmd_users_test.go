package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"mailwall/internal/policy"
)

// TestUsersAuditWebmaster: `users audit` flags webmaster/webmaster.
func TestUsersAuditWebmaster(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users")
	h, err := policy.HashPassword("webmaster")
	if err != nil {
		t.Fatal(err)
	}
	if err := policy.SaveUsers(file, []policy.User{{Name: "webmaster", Hash: h}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = runAudit(&out, file, 5)
	if e, ok := err.(*exitError); !ok || e.code != 1 {
		t.Errorf("audit exit: %v, want exit 1", err)
	}
	for _, want := range []string{"webmaster: default account name can log in", "webmaster: password equals the user name"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("audit output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestUsersAddRefusesWeak(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users")
	run := func(stdin string, args ...string) error {
		cmd := newUsersCmd()
		cmd.SetArgs(append(args, "--file", file))
		cmd.SetIn(strings.NewReader(stdin))
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		return cmd.Execute()
	}
	tests := []struct {
		stdin string
		args  []string
		want  string // "" = success
	}{
		{"alice@example.test\n", []string{"add", "alice@example.test"}, "equals the user name"},
		{"example.test\n", []string{"add", "alice@example.test"}, "equals the domain"},
		{"short\n", []string{"add", "alice@example.test"}, "shorter than 10"},
		{"password123\n", []string{"add", "alice@example.test"}, "common-password"},
		{"correct horse battery\n", []string{"add", "webmaster"}, "default account"},
		{"correct horse battery\n", []string{"add", "alice@example.test"}, ""},
		{"correct horse battery\n", []string{"add", "alice@example.test"}, "exists"},
		{"qwertyuiop\n", []string{"passwd", "alice@example.test"}, "common-password"},
		{"another long passphrase\n", []string{"passwd", "alice@example.test"}, ""},
		{"", []string{"del", "bob@example.test"}, "no account"},
	}
	for _, tt := range tests {
		err := run(tt.stdin, tt.args...)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("users %v: %v, want %q", tt.args, err, tt.want)
		}
	}
	users, err := policy.LoadUsers(file)
	if err != nil || len(users) != 1 || !policy.CheckPassword(users[0].Hash, "another long passphrase") || !users[0].Checked {
		t.Errorf("users file after edits: %+v %v", users, err)
	}
	if err := run("", "del", "alice@example.test"); err != nil {
		t.Errorf("del: %v", err)
	}
}
