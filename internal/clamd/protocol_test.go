package clamd

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testTree writes a directory with clean, infected and nested files.
func testTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"a.txt":      eicar,
		"c.txt":      "hello",
		"empty":      "",
		"sub/b.txt":  eicar + " SECOND",
		"sub/d.html": "<p>clean</p>",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCommands(t *testing.T) {
	ts := startServer(t, ServerOptions{StreamMaxLength: 1000})
	dir := testTree(t)
	clean := filepath.Join(dir, "clean")
	if err := os.Mkdir(clean, 0o755); err != nil {
		t.Fatal(err)
	}
	ver := "ClamAV 1.4.6/42/Mon Nov 23 09:40:00 2026"
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"zPING", cat("zPING\x00"), "PONG\x00"},
		{"nPING", cat("nPING\n"), "PONG\n"},
		{"plain PING", cat("PING\n"), "PONG\n"},
		{"plain PING CRLF", cat("PING\r\n"), "PONG\n"},
		{"plain PING at EOF", cat("PING"), "PONG\n"},
		{"one command per connection", cat("zPING\x00zPING\x00"), "PONG\x00"},
		{"VERSION", cat("zVERSION\x00"), ver + "\x00"},
		{"VERSIONCOMMANDS", cat("nVERSIONCOMMANDS\n"), ver + "| COMMANDS: SCAN QUIT RELOAD PING CONTSCAN VERSIONCOMMANDS VERSION END SHUTDOWN MULTISCAN FILDES STATS IDSESSION INSTREAM DETSTATSCLEAR DETSTATS ALLMATCHSCAN\n"},
		{"RELOAD", cat("zRELOAD\x00"), "RELOADING\x00"},
		{"unknown", cat("zFOO\x00"), "UNKNOWN COMMAND\x00"},
		{"unknown plain", cat("FOO\n"), "UNKNOWN COMMAND\n"},
		{"lower case", cat("zping\x00"), "UNKNOWN COMMAND\x00"},
		{"stray argument", cat("zPING extra\x00"), "UNKNOWN COMMAND\x00"},
		{"SCAN without path", cat("zSCAN\x00"), "UNKNOWN COMMAND\x00"},
		{"END outside session", cat("zEND\x00"), "UNKNOWN COMMAND\x00"},
		{"plain INSTREAM", cat("INSTREAM\n", stream([]byte("x"), 1)), "UNKNOWN COMMAND\n"},
		{"plain IDSESSION", cat("IDSESSION\nPING\n"), "UNKNOWN COMMAND\n"},
		{"DETSTATS", cat("zDETSTATS\x00"), ""},
		{"SHUTDOWN refused", cat("zSHUTDOWN\x00"), "COMMAND UNAVAILABLE\x00"},
		{"INSTREAM clean", cat("zINSTREAM\x00", stream([]byte("abcd"), 2)), "stream: OK\x00"},
		{"INSTREAM empty", cat("zINSTREAM\x00", stream(nil, 1)), "stream: OK\x00"},
		{"INSTREAM found", cat("zINSTREAM\x00", stream([]byte(eicar), 7)), "stream: Eicar-Test-Signature FOUND\x00"},
		{"nINSTREAM found", cat("nINSTREAM\n", stream([]byte(eicar), 100)), "stream: Eicar-Test-Signature FOUND\n"},
		{"INSTREAM engine error", cat("zINSTREAM\x00", stream([]byte("BROKEN"), 100)), "stream: Can't parse data ERROR\x00"},
		{"INSTREAM at limit", cat("zINSTREAM\x00", stream(make([]byte, 1000), 300)), "stream: OK\x00"},
		{"INSTREAM over limit", cat("zINSTREAM\x00", stream(make([]byte, 1001), 300)), "INSTREAM size limit exceeded. ERROR\x00"},
		{"INSTREAM one big chunk", cat("zINSTREAM\x00", stream(make([]byte, 5000), 5000)), "INSTREAM size limit exceeded. ERROR\x00"},
		{"SCAN file found", cat("zSCAN ", dir, "/a.txt\x00"), dir + "/a.txt: Eicar-Test-Signature FOUND\x00"},
		{"SCAN file clean", cat("nSCAN ", dir, "/c.txt\n"), dir + "/c.txt: OK\n"},
		{"SCAN empty file", cat("SCAN ", dir, "/empty\n"), dir + "/empty: OK\n"},
		{"SCAN missing", cat("zSCAN ", dir, "/nope\x00"), dir + "/nope: File path check failure: No such file or directory. ERROR\x00"},
		{"SCAN empty path", cat("zSCAN \x00"), ": File path check failure: No such file or directory. ERROR\x00"},
		{"SCAN dir stops at first", cat("zSCAN ", dir, "\x00"), dir + "/a.txt: Eicar-Test-Signature FOUND\x00"},
		{"SCAN clean dir", cat("zSCAN ", clean, "\x00"), clean + ": OK\x00"},
		{"CONTSCAN dir", cat("zCONTSCAN ", dir, "\x00"), dir + "/a.txt: Eicar-Test-Signature FOUND\x00" + dir + "/sub/b.txt: Eicar-Test-Signature FOUND\x00"},
		{"CONTSCAN trailing slash", cat("zCONTSCAN ", dir, "/sub/\x00"), dir + "/sub/b.txt: Eicar-Test-Signature FOUND\x00"},
		{"MULTISCAN dir", cat("zMULTISCAN ", dir, "\x00"), dir + "/a.txt: Eicar-Test-Signature FOUND\x00" + dir + "/sub/b.txt: Eicar-Test-Signature FOUND\x00"},
		{"ALLMATCHSCAN file", cat("zALLMATCHSCAN ", dir, "/sub/b.txt\x00"), dir + "/sub/b.txt: Eicar-Test-Signature FOUND\x00" + dir + "/sub/b.txt: Second.Match FOUND\x00"},
		{"session", cat("zIDSESSION\x00zPING\x00nVERSION\nzINSTREAM\x00", stream([]byte(eicar), 10), "zSCAN ", dir, "/c.txt\x00zEND\x00"),
			"1: PONG\x002: " + ver + "\n3: stream: Eicar-Test-Signature FOUND\x004: " + dir + "/c.txt: OK\x00"},
		{"nIDSESSION", cat("nIDSESSION\nnPING\nnEND\n"), "1: PONG\n"},
		{"session bad command", cat("zIDSESSION\x00zPING\x00zCONTSCAN /\x00zPING\x00"), "1: PONG\x002: Command invalid inside IDSESSION. ERROR\x00"},
		{"session unknown", cat("zIDSESSION\x00zFOO\x00"), "1: Command invalid inside IDSESSION. ERROR\x00"},
		{"session nested", cat("zIDSESSION\x00zIDSESSION\x00zEND\x00"), "1: Command invalid inside IDSESSION. ERROR\x00"},
		{"session STATS", cat("zIDSESSION\x00zSTATS\x00zEND\x00"), "1: POOLS: 1\n\nSTATE: VALID PRIMARY\n"},
		{"session stream limit", cat("zIDSESSION\x00zINSTREAM\x00", stream(make([]byte, 2000), 1000), "zPING\x00"), "1: INSTREAM size limit exceeded. ERROR\x00"},
		{"session ends at EOF", cat("zIDSESSION\x00zPING\x00"), "1: PONG\x00"},
		{"too long", cat("z", strings.Repeat("A", maxCommandLen+10), "\x00"), "UNKNOWN COMMAND\n"},
	}
	for _, tt := range tests {
		for _, network := range []string{"unix", "tcp"} {
			t.Run(tt.name+"/"+network, func(t *testing.T) {
				addr := ts.unix
				if network == "tcp" {
					addr = ts.tcp
				}
				got := talk(t, network, addr, tt.in)
				if strings.HasPrefix(tt.name, "session STATS") {
					if !strings.HasPrefix(got, tt.want) || !strings.HasSuffix(got, "\nEND\x00") {
						t.Errorf("got %q, want prefix %q and END", got, tt.want)
					}
					return
				}
				if strings.HasPrefix(tt.name, "session") {
					// Background scans answer in completion order.
					got, want := records(got), records(tt.want)
					if got != want {
						t.Errorf("got  %q\nwant %q", got, want)
					}
					return
				}
				if got != tt.want {
					t.Errorf("got  %q\nwant %q", got, tt.want)
				}
			})
		}
	}
	if ts.fake.reloads.Load() == 0 {
		// RELOAD runs in the background; it was asked twice above.
		t.Log("reload still running")
	}
}

// records sorts the reply records of a session (each ends in NUL or
// newline) so replies that may come in any order compare equal.
func records(s string) string {
	rs := strings.FieldsFunc(s, func(r rune) bool { return r == 0 || r == '\n' })
	slices.Sort(rs)
	return strings.Join(rs, "|")
}

// TestPipelinedSession sends many INSTREAMs in one session without
// waiting, as clamdscan --multiscan --stream does: one reply each, numbered.
func TestPipelinedSession(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	req := []byte("zIDSESSION\x00")
	var want []string
	for i := 1; i <= 50; i++ {
		body, verdict := "clean", "stream: OK"
		if i%7 == 0 {
			body, verdict = eicar, "stream: Eicar-Test-Signature FOUND"
		}
		req = append(req, cat("zINSTREAM\x00", stream([]byte(body), 16))...)
		want = append(want, fmt.Sprintf("%d: %s", i, verdict))
	}
	req = append(req, "zEND\x00"...)
	slices.Sort(want)
	if got := records(talk(t, "unix", ts.unix, req)); got != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, strings.Join(want, "|"))
	}
}

// TestMultiscanManyFiles scans a tree larger than the in-flight window:
// every infected file is reported, in walk order, the clean ones are not.
func TestMultiscanManyFiles(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	dir := t.TempDir()
	var want strings.Builder
	for i := range 300 {
		sub := filepath.Join(dir, fmt.Sprintf("d%d", i/100))
		body := "clean"
		name := filepath.Join(sub, fmt.Sprintf("f%03d", i))
		if i%97 == 0 {
			body = eicar
			want.WriteString(name + ": Eicar-Test-Signature FOUND\x00")
		}
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range []string{"zMULTISCAN ", "zCONTSCAN "} {
		if got := talk(t, "unix", ts.unix, []byte(cmd+dir+"\x00")); got != want.String() {
			t.Errorf("%s: got %q, want %q", cmd, got, want.String())
		}
	}
	first := strings.SplitAfter(want.String(), "\x00")[0]
	if got := talk(t, "unix", ts.unix, []byte("zSCAN "+dir+"\x00")); got != first {
		t.Errorf("SCAN: got %q, want %q", got, first)
	}
}
