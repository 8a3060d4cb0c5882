package deliver

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mailwall/internal/queue"
)

const msg = "From: a@example.org\r\nSubject: hi\r\n\r\nbody line\r\n"

func newTest(t testing.TB, o Options) *Deliverer {
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.HeloName == "" {
		o.HeloName = "mx.example.test"
	}
	d := New(o)
	t.Cleanup(func() { d.Close() })
	return d
}

func deliver(t *testing.T, d *Deliverer, hop, from string, rcpts []string, body string) map[string]queue.Result {
	t.Helper()
	res := d.Deliver(context.Background(), hop, from, rcpts, strings.NewReader(body))
	if len(res) != len(rcpts) {
		t.Fatalf("%d results for %d recipients: %+v", len(res), len(rcpts), res)
	}
	m := map[string]queue.Result{}
	for _, r := range res {
		m[r.Rcpt] = r
	}
	return m
}

func TestSMTPPerRecipient(t *testing.T) {
	s := startSink(t, "tcp", false)
	d := newTest(t, Options{})
	res := deliver(t, d, "smtp://"+s.addr, "a@example.org",
		[]string{"ok@example.test", "reject@example.test", "defer@example.test", "ok2@example.test"}, msg)
	tests := []struct {
		rcpt      string
		code      int
		enh       string
		failed    bool
		permanent bool
	}{
		{"ok@example.test", 250, "2.0.0", false, false},
		{"ok2@example.test", 250, "2.0.0", false, false},
		{"reject@example.test", 550, "5.1.1", true, true},
		{"defer@example.test", 451, "4.3.0", true, false},
	}
	for _, tt := range tests {
		r := res[tt.rcpt]
		if r.Code != tt.code || r.Enhanced != tt.enh || (r.Err != nil) != tt.failed || r.Permanent != tt.permanent {
			t.Errorf("%s: %+v", tt.rcpt, r)
		}
	}
	got := s.got()
	if len(got) != 1 || got[0].data != msg || got[0].from != "a@example.org" || strings.Join(got[0].rcpts, ",") != "ok@example.test,ok2@example.test" {
		t.Errorf("sink got %+v", got)
	}
}

func TestSMTPAllRefused(t *testing.T) {
	s := startSink(t, "tcp", false)
	res := deliver(t, newTest(t, Options{}), "smtp://"+s.addr, "", []string{"reject@example.test"}, msg)
	if r := res["reject@example.test"]; !r.Permanent || r.Code != 550 {
		t.Errorf("result %+v", r)
	}
	if len(s.got()) != 0 {
		t.Error("message sent with no accepted recipient")
	}
}

func TestConnectionRefusedIsTemporary(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	res := deliver(t, newTest(t, Options{}), "smtp://"+addr, "a@x.test", []string{"b@x.test"}, msg)
	if r := res["b@x.test"]; r.Err == nil || r.Permanent {
		t.Errorf("result %+v, want temporary failure", r)
	}
}

func TestLMTP(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			s := startSink(t, network, true)
			hop := "lmtp://" + s.addr
			if network == "unix" {
				hop = "lmtp:unix:" + s.addr
			}
			res := deliver(t, newTest(t, Options{}), hop, "a@example.org",
				[]string{"one@example.test", "lmtpfail@example.test", "reject@example.test", "two@example.test"}, msg)
			if r := res["one@example.test"]; r.Err != nil || r.Code != 250 {
				t.Errorf("one: %+v", r)
			}
			if r := res["two@example.test"]; r.Err != nil {
				t.Errorf("two: %+v", r)
			}
			if r := res["lmtpfail@example.test"]; r.Err == nil || r.Code != 452 || r.Enhanced != "4.2.2" || r.Permanent {
				t.Errorf("lmtpfail: %+v, want per-recipient 452 after data", r)
			}
			if r := res["reject@example.test"]; r.Code != 550 || !r.Permanent {
				t.Errorf("reject: %+v", r)
			}
			if got := s.got(); len(got) != 1 || got[0].data != msg {
				t.Errorf("sink got %+v", got)
			}
		})
	}
}

func TestMaildir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	d := newTest(t, Options{})
	for i := range 3 {
		res := deliver(t, d, "maildir://"+dir, "a@example.org", []string{"u@example.test", "v@example.test"}, msg)
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("delivery %d: %+v", i, r)
			}
		}
	}
	files, _ := os.ReadDir(filepath.Join(dir, "new"))
	tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(files) != 3 || len(tmp) != 0 {
		t.Fatalf("new/ has %d files, tmp/ %d; want 3 and 0", len(files), len(tmp))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "new", files[0].Name()))
	if want := strings.ReplaceAll(msg, "\r\n", "\n"); string(b) != want {
		t.Errorf("maildir file %q, want %q", b, want)
	}
	if res := deliver(t, d, "maildir://relative/path", "", []string{"u@x"}, msg); res["u@x"].Err == nil {
		t.Error("relative maildir path accepted")
	}
}

func TestRefusesCRLFNULInArguments(t *testing.T) {
	s := startSink(t, "tcp", false)
	hop := "smtp://" + s.addr
	tests := []struct {
		name  string
		helo  string
		from  string
		rcpts []string
		ok    []string // recipients that must still be delivered
	}{
		{"from CRLF", "", "a@x\r\nRCPT TO:<victim@x>", []string{"b@x.test"}, nil},
		{"from LF", "", "a@x\nDATA", []string{"b@x.test"}, nil},
		{"from NUL", "", "a\x00@x", []string{"b@x.test"}, nil},
		{"from angle", "", "a@x> SIZE=1", []string{"b@x.test"}, nil},
		{"helo CR", "h\rQUIT", "a@x.test", []string{"b@x.test"}, nil},
		{"rcpt LF", "", "a@x.test", []string{"b@x\nRCPT TO:<c@x>", "good@x.test"}, []string{"good@x.test"}},
		{"rcpt NUL", "", "a@x.test", []string{"b\x00@x.test"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.got())
			sessions := s.sessionCount()
			res := deliver(t, newTest(t, Options{HeloName: tt.helo}), hop, tt.from, tt.rcpts, msg)
			for _, r := range tt.rcpts {
				want := strings.Contains(strings.Join(tt.ok, ","), r)
				if (res[r].Err == nil) != want {
					t.Errorf("%q: %+v", r, res[r])
				}
				if !want && !errors.Is(res[r].Err, errBadArg) {
					t.Errorf("%q: error %v, want errBadArg", r, res[r].Err)
				}
			}
			if tt.ok == nil && s.sessionCount() != sessions {
				t.Error("connected although every argument was refused")
			}
			got := s.got()[before:]
			if len(got) != len(tt.ok) {
				t.Errorf("sink got %d messages, want %d", len(got), len(tt.ok))
			}
		})
	}
}

func TestBareLineEndingsNormalised(t *testing.T) {
	r := startRaw(t, &rawServer{})
	body := "Subject: x\n\nbare LF\nbare CR\rCRLF\r\n.leading dot\n.\nlast\r\n.\rno final newline"
	res := deliver(t, newTest(t, Options{}), "smtp://"+r.addr, "a@x.test", []string{"b@x.test"}, body)
	if res["b@x.test"].Err != nil {
		t.Fatalf("result %+v", res["b@x.test"])
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	want := "Subject: x\r\n\r\nbare LF\r\nbare CR\r\nCRLF\r\n..leading dot\r\n..\r\nlast\r\n..\r\nno final newline\r\n.\r\n"
	if len(r.data) != 1 || r.data[0] != want {
		t.Fatalf("on the wire:\n%q\nwant\n%q", r.data, want)
	}
	noBare(t, r.data[0])
}

func noBare(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if (s[i] == '\n' && (i == 0 || s[i-1] != '\r')) || (s[i] == '\r' && (i+1 == len(s) || s[i+1] != '\n')) {
			t.Fatalf("bare CR or LF at %d in %q", i, s)
		}
	}
}

// TestStartTLSInjection: a server (or a man in the middle) appends a reply
// right after "220 ready" in plain text. A client that kept its read buffer
// across the handshake would take it as the reply to EHLO over TLS
// (CVE-2011-0411 class). Ours must ignore it, finish over TLS, and not
// fall back to a second, plain-text connection.
func TestStartTLSInjection(t *testing.T) {
	r := startRaw(t, &rawServer{
		ext:    []string{"STARTTLS", "PIPELINING"},
		cert:   selfSigned(t),
		inject: "554 5.7.0 injected before TLS\r\n250 2.1.0 injected\r\n",
	})
	res := deliver(t, newTest(t, Options{}), "smtp://"+r.addr, "a@x.test", []string{"b@x.test"}, msg)
	if res["b@x.test"].Err != nil {
		t.Fatalf("result %+v", res["b@x.test"])
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns != 1 || len(r.dataTLS) != 1 || !r.dataTLS[0] {
		t.Errorf("connections %d, data over TLS %v; want 1 connection with data over TLS", r.conns, r.dataTLS)
	}
}

func TestStartTLSFailureFallsBack(t *testing.T) {
	// A server offering STARTTLS whose handshake fails (no certificate):
	// opportunistic TLS retries in plain text.
	r := startRaw(t, &rawServer{ext: []string{"STARTTLS"}, cert: &selfSignedBroken})
	res := deliver(t, newTest(t, Options{}), "smtp://"+r.addr, "a@x.test", []string{"b@x.test"}, msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	if res["b@x.test"].Err != nil || len(r.data) != 1 || r.dataTLS[0] {
		t.Errorf("result %+v; data over TLS %v", res["b@x.test"], r.dataTLS)
	}
}

var selfSignedBroken = tlsCertificateNone()

func TestPipelinedReplies(t *testing.T) {
	r := startRaw(t, &rawServer{
		ext: []string{"PIPELINING", "8BITMIME"},
		rcptFor: func(line string) string {
			if strings.Contains(line, "<no@") {
				return "550 5.1.1 unknown\r\n"
			}
			return "250 2.1.5 ok\r\n"
		},
	})
	rcpts := []string{"a@x.test", "no@x.test", "b@x.test", "no@y.test"}
	res := deliver(t, newTest(t, Options{}), "smtp://"+r.addr, "s@x.test", rcpts, msg)
	for _, rc := range rcpts {
		bad := strings.HasPrefix(rc, "no@")
		if got := res[rc]; (got.Err != nil) != bad || (bad && got.Code != 550) || (!bad && got.Code != 250) {
			t.Errorf("%s: %+v", rc, got)
		}
	}
}

func TestMX(t *testing.T) {
	s := startSink(t, "tcp", false)
	_, portStr, _ := net.SplitHostPort(s.addr)
	port, _ := strconv.Atoi(portStr)
	dnsAddr := startDNS(t,
		// Best MX has an address where nothing listens; the next one works.
		"mx.test. 60 IN MX 10 dead.mx.test.",
		"mx.test. 60 IN MX 20 live.mx.test.",
		"mx.test. 60 IN MX 30 never.mx.test.",
		"dead.mx.test. 60 IN A 127.0.0.2",
		"live.mx.test. 60 IN A 127.0.0.1",
		"implicit.test. 60 IN A 127.0.0.1",
		"nullmx.test. 60 IN MX 0 .",
		"nomx.test. 60 IN TXT \"no mail here\"",
	)
	d := newTest(t, Options{DNSServers: []string{dnsAddr}, MXPort: port, Timeout: 5 * time.Second})
	tests := []struct {
		rcpt      string
		ok        bool
		permanent bool
		enh       string
	}{
		{"u@mx.test", true, false, ""},
		{"u@implicit.test", true, false, ""},
		{"u@[127.0.0.1]", true, false, ""},
		{"u@nullmx.test", false, true, "5.1.10"},
		{"u@nxdomain.test", false, true, "5.1.10"},
		{"u@nomx.test", false, false, ""},
	}
	for _, tt := range tests {
		before := len(s.got())
		r := deliver(t, d, "mx", "a@example.org", []string{tt.rcpt}, msg)[tt.rcpt]
		if (r.Err == nil) != tt.ok || r.Permanent != tt.permanent || (tt.enh != "" && r.Enhanced != tt.enh) {
			t.Errorf("%s: %+v", tt.rcpt, r)
		}
		if delivered := len(s.got()) - before; delivered != map[bool]int{true: 1, false: 0}[tt.ok] {
			t.Errorf("%s: %d messages at the sink", tt.rcpt, delivered)
		}
	}
}

func TestConnectionReuse(t *testing.T) {
	for _, drop := range []bool{false, true} {
		r := startRaw(t, &rawServer{ext: []string{"STARTTLS", "PIPELINING"}, cert: selfSigned(t), dropAfterData: drop})
		d := newTest(t, Options{})
		for i := range 3 {
			res := deliver(t, d, "smtp://"+r.addr, "a@x.test", []string{"b@x.test"}, msg)
			if res["b@x.test"].Err != nil {
				t.Fatalf("drop=%v delivery %d: %+v", drop, i, res["b@x.test"])
			}
		}
		r.mu.Lock()
		want := map[bool]int{false: 1, true: 3}[drop]
		if r.conns != want || len(r.data) != 3 {
			t.Errorf("drop=%v: %d connections for %d messages, want %d", drop, r.conns, len(r.data), want)
		}
		r.mu.Unlock()
	}
}
