package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runLearnCmd runs "mailwall learn args..." and returns stdout and the error.
func runLearnCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := newLearnCmd()
	var out, errw bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errw)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func testMessage(i int, word string) string {
	return fmt.Sprintf("From: sender%d@example.com\nTo: rcpt@example.org\nSubject: %s %d\nMessage-ID: <%d@example.com>\n\n%s body text number %d\n",
		i, word, i, i, word, i)
}

func TestLearnSources(t *testing.T) {
	dir := t.TempDir()
	db := "bbolt://" + filepath.Join(dir, "state.db")
	write := func(rel, body string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A Maildir with two messages and one in tmp/ (not delivered yet).
	write("maildir/cur/1:2,S", testMessage(1, "cheap"))
	write("maildir/new/2", testMessage(2, "cheap"))
	write("maildir/tmp/3", testMessage(3, "cheap"))
	write("maildir/.hidden/4", testMessage(4, "cheap"))
	// An mbox of three messages, one with a quoted ">From " body line.
	mbox := "From a@example.com Mon Jan  1 00:00:00 2024\n" + testMessage(5, "offer") +
		">From the archive\n\nFrom b@example.com Mon Jan  1 00:00:01 2024\n" + testMessage(6, "offer") +
		"\nFrom c@example.com Mon Jan  1 00:00:02 2024\n" + testMessage(7, "offer")
	write("spam.mbox", mbox)
	write("one.eml", testMessage(8, "meeting"))

	tests := []struct {
		name string
		args []string
		in   string
		want string
	}{
		{"maildir", []string{"--spam", "--db", db, filepath.Join(dir, "maildir")}, "",
			"Learned tokens from 2 message(s) (2 message(s) examined)\n"},
		{"mbox", []string{"--spam", "--db", db, filepath.Join(dir, "spam.mbox")}, "",
			"Learned tokens from 3 message(s) (3 message(s) examined)\n"},
		{"relearn is a no-op", []string{"--spam", "--db", db, filepath.Join(dir, "spam.mbox")}, "",
			"Learned tokens from 0 message(s) (3 message(s) examined)\n"},
		{"file as ham", []string{"--ham", "--db", db, filepath.Join(dir, "one.eml")}, "",
			"Learned tokens from 1 message(s) (1 message(s) examined)\n"},
		{"stdin", []string{"--ham", "--db", db, "-"}, testMessage(9, "lunch"),
			"Learned tokens from 1 message(s) (1 message(s) examined)\n"},
		{"forget", []string{"--forget", "--db", db, filepath.Join(dir, "one.eml")}, "",
			"Forgot tokens from 1 message(s) (1 message(s) examined)\n"},
		{"stats", []string{"--stats", "--db", db}, "", "nspam 5\nnham 1\n"},
	}
	for _, tt := range tests {
		out, err := runLearnCmd(t, tt.in, tt.args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if out != tt.want {
			t.Errorf("%s: output %q, want %q", tt.name, out, tt.want)
		}
	}
}

func TestLearnUsage(t *testing.T) {
	db := "bbolt://" + filepath.Join(t.TempDir(), "state.db")
	for _, args := range [][]string{
		{"--db", db, "x"},                    // no mode
		{"--spam", "--ham", "--db", db, "x"}, // two modes
		{"--spam", "--db", db},               // no path
		{"--spam", "--db", db, filepath.Join(t.TempDir(), "missing")},
	} {
		if _, err := runLearnCmd(t, "", args...); err == nil || exitCode(err) != 2 {
			t.Errorf("learn %v: err %v (exit %d), want exit 2", args, err, exitCode(err))
		}
	}
}

func TestSplitMbox(t *testing.T) {
	mbox := "From a Mon\nSubject: 1\n\nbody\nFrom here on\n\nFrom b Tue\nSubject: 2\n\n>From quoted\n"
	msgs := splitMbox([]byte(mbox))
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2: %q", len(msgs), msgs)
	}
	if !strings.Contains(string(msgs[0]), "From here on") {
		t.Errorf("a From line inside a paragraph split the message: %q", msgs[0])
	}
	if !strings.Contains(string(msgs[1]), "\nFrom quoted\n") {
		t.Errorf(">From not unquoted: %q", msgs[1])
	}
}
