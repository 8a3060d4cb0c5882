package deliver

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// received is one message taken by the sink.
type received struct {
	from  string
	rcpts []string
	data  string
}

// sink is an in-process go-smtp server. Recipients choose their fate by
// local part: "reject" gets 550 5.1.1, "defer" 451 4.3.0 at RCPT; with LMTP,
// "lmtpfail" gets 452 4.2.2 after the data.
type sink struct {
	mu       sync.Mutex
	msgs     []received
	sessions int
	addr     string
}

func (s *sink) sessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

func (s *sink) got() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type sinkSession struct {
	s   *sink
	cur received
}

func (ss *sinkSession) Reset()        { ss.cur = received{} }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.cur.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "reject@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	case strings.HasPrefix(to, "defer@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	}
	ss.cur.rcpts = append(ss.cur.rcpts, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.cur.data = string(b)
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, ss.cur)
	ss.s.mu.Unlock()
	return nil
}

func (ss *sinkSession) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	if err := ss.Data(r); err != nil {
		return err
	}
	for _, rc := range ss.cur.rcpts {
		var err error
		if strings.HasPrefix(rc, "lmtpfail@") {
			err = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
		}
		status.SetStatus(rc, err)
	}
	return nil
}

// startSink serves SMTP (or LMTP) on network ("tcp" on 127.0.0.1:0, or
// "unix" on a socket in a temp dir).
func startSink(t testing.TB, network string, lmtp bool) *sink {
	t.Helper()
	s := &sink{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &sinkSession{s: s}, nil
	})
	srv := smtp.NewServer(be)
	srv.Domain = "sink.test"
	srv.LMTP = lmtp
	srv.EnableSMTPUTF8 = true
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "lmtp.sock")
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		err := srv.Serve(l)
		if err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Log("sink:", err)
		}
		close(done)
	}()
	t.Cleanup(func() { srv.Close(); <-done })
	return s
}
