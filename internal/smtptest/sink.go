// Package smtptest has helpers for tests of SMTP things, as httptest is for
// HTTP: a recording SMTP sink, a dialogue runner that checks replies line
// by line, and a fake DNS server (dns.go).
package smtptest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
)

// Message is what the sink received.
type Message struct {
	From  string
	Rcpts []string
	Data  []byte
}

// Sink is an SMTP server on 127.0.0.1 that records every message. Reject,
// when set, decides the reply to each RCPT (nil = accept).
type Sink struct {
	Addr   string
	Reject func(rcpt string) error

	mu   sync.Mutex
	msgs []Message
	got  chan struct{}
	srv  *gosmtp.Server
	l    net.Listener
}

// NewSink starts a sink; it stops when the test ends.
func NewSink(t testing.TB) *Sink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewSinkOn(l)
	t.Cleanup(func() { s.Close() })
	return s
}

// NewSinkOn starts a sink on l (to come up on a known address later).
func NewSinkOn(l net.Listener) *Sink {
	s := &Sink{Addr: l.Addr().String(), l: l, got: make(chan struct{}, 1<<16)}
	s.srv = gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &sinkSession{s: s}, nil
	}))
	s.srv.Domain = "sink.test"
	s.srv.AllowInsecureAuth = true
	s.srv.EnableSMTPUTF8 = true
	s.srv.ErrorLog = discardLogger{}
	go s.srv.Serve(l)
	return s
}

// Close stops the sink.
func (s *Sink) Close() { s.srv.Close() }

// Messages returns a copy of what was received so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Received is signalled once per message received.
func (s *Sink) Received() <-chan struct{} { return s.got }

type sinkSession struct {
	s   *Sink
	msg Message
}

func (x *sinkSession) Reset()        { x.msg = Message{} }
func (x *sinkSession) Logout() error { return nil }
func (x *sinkSession) Mail(from string, _ *gosmtp.MailOptions) error {
	x.msg = Message{From: from}
	return nil
}
func (x *sinkSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if x.s.Reject != nil {
		if err := x.s.Reject(to); err != nil {
			return err
		}
	}
	x.msg.Rcpts = append(x.msg.Rcpts, to)
	return nil
}
func (x *sinkSession) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	if len(x.msg.Rcpts) == 0 {
		return errors.New("no recipients")
	}
	x.msg.Data = b.Bytes()
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.msg)
	x.s.mu.Unlock()
	x.s.got <- struct{}{}
	return nil
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
