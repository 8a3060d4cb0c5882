package relaytest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"mailwall/internal/envelope"
	"mailwall/internal/policy"
	"mailwall/internal/smtptest"
)

// backend is a go-smtp server for the tests: with a nil engine it accepts
// every sender and recipient (an open relay); with an engine it asks the
// policy at each stage, like mailwall's front end.
type backend struct {
	engine *policy.Engine
	data   atomic.Int32 // DATA commands seen; relaytest must send none
}

func (b *backend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	ap, _ := netip.ParseAddrPort(c.Conn().RemoteAddr().String())
	lp, _ := netip.ParseAddrPort(c.Conn().LocalAddr().String())
	s := &srvSession{b: b, conn: &envelope.Conn{ID: "t", RemoteAddr: ap, LocalAddr: lp}}
	if b.engine != nil {
		if d := b.engine.Connect(context.Background(), s.conn); d.Err != nil {
			return nil, toSMTP(d)
		}
	}
	return s, nil
}

type srvSession struct {
	b    *backend
	conn *envelope.Conn
	from envelope.Address
}

func toSMTP(d policy.Decision) error {
	e := d.SMTPError(false)
	return &gosmtp.SMTPError{Code: e.Code, EnhancedCode: gosmtp.EnhancedCode(e.Enhanced), Message: e.Text}
}

func (s *srvSession) Mail(from string, _ *gosmtp.MailOptions) error {
	if s.b.engine == nil {
		return nil
	}
	a, serr := policy.ParseSender(from)
	if serr != nil {
		return &gosmtp.SMTPError{Code: serr.Code, EnhancedCode: gosmtp.EnhancedCode(serr.Enhanced), Message: serr.Text}
	}
	if d := s.b.engine.Mail(context.Background(), s.conn, a); d.Err != nil {
		return toSMTP(d)
	}
	s.from = a
	return nil
}

func (s *srvSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if s.b.engine == nil {
		return nil
	}
	if _, d := s.b.engine.Rcpt(context.Background(), s.conn, s.from, to); d.Err != nil {
		return toSMTP(d)
	}
	return nil
}

func (s *srvSession) Data(r io.Reader) error {
	s.b.data.Add(1)
	_, err := io.Copy(io.Discard, r)
	return err
}

func (s *srvSession) Reset()        {}
func (s *srvSession) Logout() error { return nil }

// startServer runs a go-smtp server on 127.0.0.1:0.
func startServer(t *testing.T, b *backend) string {
	t.Helper()
	srv := gosmtp.NewServer(b)
	srv.Domain = "mx.example.test"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String()
}

func TestRelayOpenSink(t *testing.T) {
	b := &backend{}
	addr := startServer(t, b)
	var transcript bytes.Buffer
	rep := Relay(context.Background(), addr, Options{Helo: "client.test", Timeout: 5 * time.Second, Transcript: &transcript})
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}
	if len(rep.Outcomes) < 17 {
		t.Errorf("%d probes, want at least 17", len(rep.Outcomes))
	}
	relayed := 0
	for _, o := range rep.Outcomes {
		if o.Relayed {
			relayed++
		}
	}
	// go-smtp refuses the unqualified forms itself (no '@'), so everything
	// else is reported as relaying.
	if relayed < len(rep.Outcomes)-4 || !rep.Relays() {
		var out bytes.Buffer
		WriteReport(&out, rep)
		t.Errorf("open sink: %d of %d relayed:\n%s", relayed, len(rep.Outcomes), out.String())
	}
	if n := b.data.Load(); n != 0 {
		t.Errorf("relaytest sent DATA %d times", n)
	}
	ts := transcript.String()
	if strings.Contains(ts, "C: DATA") || strings.Count(ts, "C: RSET") < len(rep.Outcomes) {
		t.Errorf("transcript: want RSET after every probe and no DATA:\n%s", ts)
	}
	var out bytes.Buffer
	WriteSummary(&out, []*Report{rep, {Addr: "x", Err: errors.New("down")}})
	if out.String() != "Finished scanning. 1 out of 2 hosts will relay.\n" {
		t.Errorf("summary %q", out.String())
	}
}

// rawSink answers 250 to every command, whatever its syntax: an open relay
// that accepts even what go-smtp would refuse. It counts DATA commands.
func rawSink(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var data atomic.Int32
	addr := smtptest.ServeTCP(t, 30*time.Second, func(c net.Conn) {
		io.WriteString(c, "220 sink.example.test ESMTP\r\n")
		r := bufio.NewReader(c)
		for range 1000 {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(l)); {
			case cmd == "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			case cmd == "DATA":
				data.Add(1)
				io.WriteString(c, "554 no data here\r\n")
			default:
				io.WriteString(c, "250 ok\r\n")
			}
		}
	})
	return addr, &data
}

// TestRelayRawSink is the acceptance test for the open side: every probe
// against a server that accepts everything is reported as relaying.
func TestRelayRawSink(t *testing.T) {
	addr, data := rawSink(t)
	rep := Relay(context.Background(), addr, Options{Timeout: 5 * time.Second})
	for _, o := range rep.Outcomes {
		if !o.Relayed {
			t.Errorf("probe %q not reported as relaying: %s %v", o.Probe.Name, o.Reply, o.Err)
		}
	}
	if rep.Err != nil || len(rep.Outcomes) < 17 || data.Load() != 0 {
		t.Errorf("err %v, %d probes, %d DATA", rep.Err, len(rep.Outcomes), data.Load())
	}
}

// TestRelayPolicyClosed is the acceptance test: with no trusted networks
// and local_domains [example.test], no probe relays.
func TestRelayPolicyClosed(t *testing.T) {
	e, err := policy.New(policy.Config{Hostname: "mx.example.test", LocalDomains: []string{"example.test"}},
		slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	addr := startServer(t, &backend{engine: e})
	rep := Relay(context.Background(), addr, Options{Helo: "client.test", Timeout: 5 * time.Second})
	var out bytes.Buffer
	WriteReport(&out, rep)
	if rep.Err != nil || rep.Relays() || len(rep.Outcomes) < 17 {
		t.Errorf("closed server relays or failed:\n%s", out.String())
	}
	for _, o := range rep.Outcomes {
		if o.Err != nil {
			t.Errorf("probe %q: %v", o.Probe.Name, o.Err)
		}
	}
	if !strings.Contains(out.String(), "Relay access denied") {
		t.Errorf("no relay-denied reply in:\n%s", out.String())
	}
	t.Logf("\n%s", out.String())
}
