package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mailwall/internal/spamd"
)

// writeGroups lays out the npm package's data/<group>/<n>.<md5>.txt.
func writeGroups(t *testing.T, groups map[string]int) string {
	t.Helper()
	src := t.TempDir()
	for g, n := range groups {
		if err := os.MkdirAll(filepath.Join(src, g), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			msg := fmt.Sprintf("From x@example.test  Thu Aug 22 13:17:22 2002\nSubject: %s %d\n\nbody\n", g, i)
			p := filepath.Join(src, g, fmt.Sprintf("%05d.abc.txt", i+1))
			if err := os.WriteFile(p, []byte(msg), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return src
}

func TestMakeCorpus(t *testing.T) {
	src := writeGroups(t, map[string]int{"easy-ham-1": 6, "spam-1": 4})
	tests := []struct {
		n, want, wantSpam int
	}{
		{n: 5, want: 5, wantSpam: 2}, // every other file of the sorted ten
		{n: 0, want: 10, wantSpam: 4},
		{n: 50, want: 10, wantSpam: 4},
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "c")
		if err := makeCorpus([]string{"-src", src, "-out", out, "-n", fmt.Sprint(tt.n)}); err != nil {
			t.Fatalf("n=%d: %v", tt.n, err)
		}
		names, msgs, err := readList(filepath.Join(out, "list.txt"))
		if err != nil {
			t.Fatal(err)
		}
		spam := 0
		for i, name := range names {
			if strings.HasPrefix(name, "spam-1-") {
				spam++
			}
			if strings.HasPrefix(string(msgs[i]), "From ") {
				t.Errorf("n=%d: %s keeps the mbox From line", tt.n, name)
			}
		}
		if len(names) != tt.want || spam != tt.wantSpam {
			t.Errorf("n=%d: %d messages, %d spam; want %d, %d", tt.n, len(names), spam, tt.want, tt.wantSpam)
		}
	}
}

// TestMakeCorpusExclude: a second sample made with -exclude of the
// first one's sources.txt shares no message with it.
func TestMakeCorpusExclude(t *testing.T) {
	src := writeGroups(t, map[string]int{"easy-ham-1": 6, "spam-1": 4})
	first := filepath.Join(t.TempDir(), "a")
	if err := makeCorpus([]string{"-src", src, "-out", first, "-n", "5"}); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(t.TempDir(), "b")
	if err := makeCorpus([]string{"-src", src, "-out", second, "-n", "0", "-exclude", filepath.Join(first, "sources.txt")}); err != nil {
		t.Fatal(err)
	}
	a, _, err := readList(filepath.Join(first, "list.txt"))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := readList(filepath.Join(second, "list.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 5 || len(b) != 5 {
		t.Fatalf("samples of %d and %d messages, want 5 and the other 5", len(a), len(b))
	}
	for _, name := range b {
		if slices.Contains(a, name) {
			t.Errorf("%s is in both samples", name)
		}
	}
}

// subjectChecker calls spam whatever has "spam" in it.
type subjectChecker struct{}

func (subjectChecker) Check(_ context.Context, msg []byte, _ string) (*spamd.Verdict, error) {
	s := strings.Contains(string(msg), "spam")
	score := 0.0
	if s {
		score = 9
	}
	return &spamd.Verdict{IsSpam: s, Score: score, Threshold: 5}, nil
}

func TestCheckers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go spamd.NewServer(subjectChecker{}, nil, spamd.Options{}).Serve(ctx, ln)

	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/checkv2" || r.Method != http.MethodPost {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		action := "no action"
		if strings.Contains(string(body), "spam") {
			action = "add header"
		}
		fmt.Fprintf(w, `{"is_skipped":false,"score":1.0,"action":%q,"symbols":{}}`, action)
	}))
	defer rs.Close()

	tests := []struct{ proto, addr string }{
		{"spamd", ln.Addr().String()},
		{"rspamd", strings.TrimPrefix(rs.URL, "http://")},
	}
	msgs := [][]byte{[]byte("Subject: ham\n\nx\n"), []byte("Subject: spam\n\nx\n"), []byte("Subject: hello\n\nx\n")}
	for _, tt := range tests {
		check, err := checker(tt.proto, tt.addr, 2)
		if err != nil {
			t.Fatal(err)
		}
		res := pass(check, msgs, 2, 10*time.Second)
		for i, r := range res {
			want := i == 1
			if r.err != nil || r.spam != want {
				t.Errorf("%s: message %d: spam=%v err=%v, want spam=%v", tt.proto, i, r.spam, r.err, want)
			}
		}
	}
	if _, err := checker("smtp", "x", 1); err == nil {
		t.Error("unknown protocol accepted")
	}
}
