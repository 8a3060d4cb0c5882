package spamd

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeChecker calls a message spam when it contains "VIAGRA".
type fakeChecker struct{}

func (fakeChecker) Check(_ context.Context, msg []byte, user string) (*Verdict, error) {
	if bytes.Contains(msg, []byte("PANIC")) {
		panic("checker exploded")
	}
	if bytes.Contains(msg, []byte("FAIL")) {
		return nil, errors.New("engine down")
	}
	v := &Verdict{Threshold: 5, Score: 1.2, Symbols: []string{"MISSING_DATE", "ALL_TRUSTED"}}
	if bytes.Contains(msg, []byte("VIAGRA")) {
		v.IsSpam, v.Score = true, 15.3
		v.Symbols = []string{"DRUGS_ERECTILE", "BAYES_99"}
	}
	if bytes.Contains(msg, []byte("BORDER")) {
		v.Score = 5.04 // not spam (e.g. forced ham), but at the threshold
	}
	v.Report = "Content analysis details: (" + user + ")\n"
	v.Processed = append([]byte("X-Spam-Flag: YES\r\n"), msg...)
	return v, nil
}

// fakeLearner records TELL calls.
type fakeLearner struct {
	mu    sync.Mutex
	calls []string
}

func (l *fakeLearner) Learn(_ context.Context, msg []byte, spam, forget bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if bytes.Contains(msg, []byte("SEEN")) {
		return ErrUnchanged
	}
	op := "learn-ham"
	switch {
	case forget:
		op = "forget"
	case spam:
		op = "learn-spam"
	}
	l.calls = append(l.calls, op)
	return nil
}

// startServer serves on a loopback port until the test ends.
func startServer(t *testing.T, l Learner) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var s *Server
	if l == nil {
		s = NewServer(fakeChecker{}, nil, Options{Logger: slog.New(slog.DiscardHandler)})
	} else {
		s = NewServer(fakeChecker{}, l, Options{Logger: slog.New(slog.DiscardHandler)})
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// exchange sends raw bytes and returns the whole reply.
func exchange(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func request(method, version, msg string, headers ...string) string {
	var b strings.Builder
	b.WriteString(method + " SPAMC/" + version + "\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n" + msg)
	return b.String()
}

const hamMsg = "Subject: hi\r\n\r\nhello\r\n"
const spamMsg = "Subject: buy\r\n\r\nVIAGRA\r\n"

func clen(s string) string { return "Content-length: " + itoa(len(s)) }

func itoa(n int) string { return strconv.Itoa(n) }

func TestReplies(t *testing.T) {
	addr := startServer(t, nil)
	processed := "X-Spam-Flag: YES\r\n" + spamMsg
	tests := []struct {
		name, req, want string
	}{
		{"check spam", request("CHECK", "1.5", spamMsg, clen(spamMsg)),
			"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 15.3 / 5.0\r\n\r\n"},
		{"check ham", request("CHECK", "1.5", hamMsg, clen(hamMsg)),
			"SPAMD/1.1 0 EX_OK\r\nSpam: False ; 1.2 / 5.0\r\n\r\n"},
		{"check without content-length", request("CHECK", "1.5", hamMsg),
			"SPAMD/1.1 0 EX_OK\r\nSpam: False ; 1.2 / 5.0\r\n\r\n"},
		{"ham at threshold shows 4.9", request("CHECK", "1.5", "BORDER", clen("BORDER")),
			"SPAMD/1.1 0 EX_OK\r\nSpam: False ; 4.9 / 5.0\r\n\r\n"},
		{"symbols sorted", request("SYMBOLS", "1.5", spamMsg, clen(spamMsg)),
			"SPAMD/1.1 0 EX_OK\r\nContent-length: 23\r\nSpam: True ; 15.3 / 5.0\r\n\r\nBAYES_99,DRUGS_ERECTILE"},
		{"symbols 1.2 adds CRLF", request("SYMBOLS", "1.2", spamMsg, clen(spamMsg)),
			"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 15.3 / 5.0\r\n\r\nBAYES_99,DRUGS_ERECTILE\r\n"},
		{"report with user", request("REPORT", "1.5", hamMsg, clen(hamMsg), "User: alice"),
			"SPAMD/1.1 0 EX_OK\r\nContent-length: 34\r\nSpam: False ; 1.2 / 5.0\r\n\r\nContent analysis details: (alice)\n"},
		{"report_ifspam ham", request("REPORT_IFSPAM", "1.5", hamMsg, clen(hamMsg)),
			"SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: No ; 1.2 / 5.0\r\n\r\n"},
		{"report_ifspam spam", request("REPORT_IFSPAM", "1.5", spamMsg, clen(spamMsg)),
			"SPAMD/1.1 0 EX_OK\r\nContent-length: 29\r\nSpam: Yes ; 15.3 / 5.0\r\n\r\nContent analysis details: ()\n"},
		{"process", request("PROCESS", "1.5", spamMsg, clen(spamMsg)),
			"SPAMD/1.1 0 EX_OK\r\nContent-length: " + itoa(len(processed)) + "\r\nSpam: True ; 15.3 / 5.0\r\n\r\n" + processed},
		{"process 1.2", request("PROCESS", "1.2", spamMsg, clen(spamMsg)),
			"SPAMD/1.1 0 EX_OK\r\nContent-length: " + itoa(len(processed)) + "\r\n\r\n" + processed},
		{"process 1.0", "PROCESS SPAMC/1.0\r\n" + spamMsg,
			"SPAMD/1.0 0 EX_OK\r\n" + processed},
		{"headers", request("HEADERS", "1.5", spamMsg, clen(spamMsg)),
			"SPAMD/1.1 0 EX_OK\r\nContent-length: 34\r\nSpam: True ; 15.3 / 5.0\r\n\r\nX-Spam-Flag: YES\r\nSubject: buy\r\n\r\n"},
		{"ping", "PING SPAMC/1.5\r\n\r\n", "SPAMD/1.5 0 PONG\r\n"},
		{"ping 1.2 no headers", "PING SPAMC/1.2\r\n", "SPAMD/1.5 0 PONG\r\n"},
		{"skip", "SKIP SPAMC/1.5\r\n\r\n", ""},
		{"unknown method", "FROB SPAMC/1.5\r\n\r\n", "SPAMD/1.0 76 Bad header line: FROB SPAMC/1.5\r\n"},
		{"bad header", "CHECK SPAMC/1.5\r\nNoColon\r\n\r\n", "SPAMD/1.0 76 Bad header line: (header not in 'Name: value' format)\r\n"},
		{"bad length", "CHECK SPAMC/1.5\r\nContent-length: 12x\r\n\r\n", "SPAMD/1.0 76 Bad header line: (Content-Length contains non-numeric bytes)\r\n"},
		{"short body", request("CHECK", "1.5", "abc", "Content-length: 10"),
			"SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected 10 bytes, got 3 bytes)\r\n"},
		{"eof in headers", "CHECK SPAMC/1.5\r\nContent-length: 3\r\n", "SPAMD/1.0 76 Bad header line: (EOF during headers)\r\n"},
		{"closed at once", "", "SPAMD/1.0 76 Bad header line: (closed before headers)\r\n"},
		{"bad compress", request("CHECK", "1.5", hamMsg, "Compress: gzip"),
			"SPAMD/1.0 76 Bad header line: (compression type not supported: gzip)\r\n"},
		{"compress needs length", request("CHECK", "1.5", hamMsg, "Compress: zlib"),
			"SPAMD/1.0 69 Service Unavailable: Compress requires Content-length header\r\n"},
		{"control char in user", request("CHECK", "1.5", hamMsg, clen(hamMsg), "User: a\x01b"),
			"SPAMD/1.0 76 Bad header line: (User header contains control chars)\r\n"},
		{"tell refused", request("TELL", "1.5", hamMsg, clen(hamMsg), "Message-class: spam", "Set: local"),
			"SPAMD/1.0 69 Service Unavailable: TELL commands are not enabled, set the --allow-tell switch.\r\n"},
		{"checker error", request("CHECK", "1.5", "FAIL", clen("FAIL")), "SPAMD/1.0 70 EX_SOFTWARE\r\n"},
		{"checker panic", request("CHECK", "1.5", "PANIC", clen("PANIC")), "SPAMD/1.0 70 EX_SOFTWARE\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exchange(t, addr, tt.req); got != tt.want {
				t.Errorf("reply\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCompressed(t *testing.T) {
	addr := startServer(t, nil)
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write([]byte(spamMsg))
	zw.Close()
	got := exchange(t, addr, request("CHECK", "1.5", b.String(), clen(b.String()), "Compress: zlib"))
	if want := "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 15.3 / 5.0\r\n\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	bad := exchange(t, addr, request("CHECK", "1.5", "not zlib", clen("not zlib"), "Compress: zlib"))
	if !strings.HasPrefix(bad, "SPAMD/1.0 69 Service Unavailable: zlib: ") {
		t.Errorf("bad zlib body answered %q", bad)
	}
}

func TestTell(t *testing.T) {
	l := &fakeLearner{}
	addr := startServer(t, l)
	tests := []struct {
		name    string
		msg     string
		headers []string
		want    string
	}{
		{"learn spam", spamMsg, []string{"Message-class: spam", "Set: local"},
			"SPAMD/1.1 0 EX_OK\r\nDidSet: local\r\n\r\n\r\n"},
		{"learn ham", hamMsg, []string{"Message-class: ham", "Set: local, remote"},
			"SPAMD/1.1 0 EX_OK\r\nDidSet: local\r\n\r\n\r\n"},
		{"forget", hamMsg, []string{"Remove: local"},
			"SPAMD/1.1 0 EX_OK\r\nDidRemove: local\r\n\r\n\r\n"},
		{"already learned", "SEEN", []string{"Message-class: spam", "Set: local"},
			"SPAMD/1.1 0 EX_OK\r\n\r\n\r\n"},
		{"set and remove", hamMsg, []string{"Set: local", "Remove: local"},
			"SPAMD/1.0 76 Bad header line: Unable to set local and remove local in the same operation.\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := append([]string{clen(tt.msg)}, tt.headers...)
			if got := exchange(t, addr, request("TELL", "1.5", tt.msg, h...)); got != tt.want {
				t.Errorf("reply\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	want := []string{"learn-spam", "learn-ham", "forget"}
	if strings.Join(l.calls, " ") != strings.Join(want, " ") {
		t.Errorf("learner calls = %v, want %v", l.calls, want)
	}
}

func TestClient(t *testing.T) {
	addr := startServer(t, nil)
	ctx := context.Background()
	for _, compress := range []bool{false, true} {
		c := &Client{Addr: addr, User: "bob", Compress: compress}
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := c.Check(ctx, []byte(spamMsg))
		if err != nil {
			t.Fatal(err)
		}
		if !r.IsSpam || r.Score != 15.3 || r.Threshold != 5 || r.Code != 0 {
			t.Errorf("Check = %+v", r)
		}
		r, err = c.Do(ctx, MethodReport, []byte(hamMsg), nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.IsSpam || string(r.Body) != "Content analysis details: (bob)\n" {
			t.Errorf("REPORT = %+v body %q", r, r.Body)
		}
	}
}

func TestMaxSize(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := NewServer(fakeChecker{}, nil, Options{MaxSize: 10, Logger: slog.New(slog.DiscardHandler)})
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	got := exchange(t, ln.Addr().String(), request("CHECK", "1.5", hamMsg, clen(hamMsg)))
	if want := "SPAMD/1.0 69 Service Unavailable: message larger than 10 bytes\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
