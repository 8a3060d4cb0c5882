package milter

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	gomilter "github.com/d--j/go-milter"

	"mailwall/internal/action"
	"mailwall/internal/envelope"
	"mailwall/internal/gateway"
	"mailwall/internal/smtp"
	"mailwall/internal/verdict"
)

// session is one MTA connection's milter conversation, mapped onto a
// gateway session. The MTA calls it from one goroutine.
type session struct {
	srv  *Server
	gs   *gateway.Session
	hdr  bytes.Buffer // the message as the MTA passes it: headers...
	body bytes.Buffer // ...and body chunks
	// subjects are the values of the Subject fields, in order: the
	// MTA numbers them for CHGHEADER
	subjects []string
}

func (s *session) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.srv.opts.Timeout)
}

// reply turns a gateway error into the milter response.
func reply(err error) (*gomilter.Response, error) {
	if err == nil {
		return gomilter.RespContinue, nil
	}
	e := smtp.As(err)
	if e == nil {
		e = smtp.ErrTempLocal
	}
	text := smtp.Sanitize(e.Text)
	if enh := e.Enhanced.String(); enh != "" {
		text = enh + " " + text
	}
	return gomilter.RejectWithCodeAndReason(uint16(e.Code), text)
}

func (s *session) NewConnection(gomilter.Modifier) error { return nil }

func (s *session) Connect(host, family string, port uint16, addr string, m gomilter.Modifier) (*gomilter.Response, error) {
	c := &envelope.Conn{
		ID:         fmt.Sprintf("m%x-%s", time.Now().UnixNano(), itoa(port)),
		RemoteAddr: clientAddr(family, addr, port),
		Hostname:   host,
		Listener:   "milter",
		Started:    time.Now(),
	}
	if host == "unknown" || (len(host) > 0 && host[0] == '[') {
		c.Hostname = ""
	}
	s.gs = s.srv.gateway.Load().NewSession(c)
	ctx, cancel := s.ctx()
	defer cancel()
	return reply(s.gs.Connect(ctx))
}

func (s *session) Helo(name string, m gomilter.Modifier) (*gomilter.Response, error) {
	if s.gs == nil {
		return gomilter.RespContinue, nil
	}
	if v := m.Get(gomilter.MacroTlsVersion); v != "" {
		s.gs.Conn.TLS, s.gs.Conn.TLSVersion = true, v
	}
	ctx, cancel := s.ctx()
	defer cancel()
	return reply(s.gs.Helo(ctx, name))
}

func (s *session) MailFrom(from, esmtpArgs string, m gomilter.Modifier) (*gomilter.Response, error) {
	if s.gs == nil {
		return gomilter.RespContinue, nil
	}
	// The MTA authenticated the client; we take its word.
	s.gs.Conn.AuthUser = m.Get(gomilter.MacroAuthAuthen)
	s.hdr.Reset()
	s.body.Reset()
	ctx, cancel := s.ctx()
	defer cancel()
	return reply(s.gs.Mail(ctx, gomilter.RemoveAngle(from), envelope.Envelope{}))
}

func (s *session) RcptTo(rcpt, esmtpArgs string, m gomilter.Modifier) (*gomilter.Response, error) {
	if s.gs == nil {
		return gomilter.RespContinue, nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	return reply(s.gs.Rcpt(ctx, gomilter.RemoveAngle(rcpt)))
}

func (s *session) Data(gomilter.Modifier) (*gomilter.Response, error) {
	return gomilter.RespContinue, nil
}

// Header collects one header field; the MTA passes the value unfolded
// or with its folding, without the trailing CRLF.
func (s *session) Header(name, value string, m gomilter.Modifier) (*gomilter.Response, error) {
	s.hdr.WriteString(name)
	s.hdr.WriteString(": ")
	s.hdr.WriteString(crlf(value))
	s.hdr.WriteString("\r\n")
	if strings.EqualFold(name, "Subject") {
		s.subjects = append(s.subjects, crlf(value))
	}
	return gomilter.RespContinue, nil
}

func (s *session) Headers(gomilter.Modifier) (*gomilter.Response, error) {
	s.hdr.WriteString("\r\n")
	return gomilter.RespContinue, nil
}

func (s *session) BodyChunk(chunk []byte, m gomilter.Modifier) (*gomilter.Response, error) {
	s.body.Write(chunk)
	return gomilter.RespContinue, nil
}

// EndOfMessage runs the content stages and answers with the verdict.
func (s *session) EndOfMessage(m gomilter.Modifier) (*gomilter.Response, error) {
	if s.gs == nil {
		return gomilter.RespAccept, nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	msg := io.MultiReader(bytes.NewReader(s.hdr.Bytes()), bytes.NewReader(s.body.Bytes()))
	out, err := s.gs.Inspect(ctx, msg)
	subjects := s.subjects
	s.reset()
	if err != nil {
		return reply(err)
	}
	v := out.Verdict
	switch {
	case out.Discarded || v.Action == verdict.Discard:
		return gomilter.RespDiscard, nil
	case v.Action == verdict.Reject || v.Action == verdict.TempFail:
		return reply(v.Err)
	case v.Action == verdict.Quarantine:
		if err := m.Quarantine(v.Reason + " " + v.Detail); err != nil {
			return nil, err
		}
	}
	for _, h := range action.ScanHeaders(v, out.Report) {
		name, value, ok := action.Clean(h.Name, h.Value)
		if !ok {
			continue
		}
		if err := m.AddHeader(name, value); err != nil {
			return nil, err
		}
	}
	if tag, ok := action.SubjectTag(v, out.Report); ok {
		if err := rewriteSubject(m, subjects, tag); err != nil {
			return nil, err
		}
	}
	return gomilter.RespAccept, nil
}

// rewriteSubject is rewrite_header Subject through the MTA (see
// action.RewriteSubject): each Subject field changed in place, its old
// first line kept as X-Spam-Prev-Subject; a message without one gains
// one. Values go without the blank after the colon, which the MTA adds.
func rewriteSubject(m gomilter.Modifier, subjects []string, tag string) error {
	if len(subjects) == 0 {
		subj, prev := action.SubjectCreated(tag)
		if err := m.AddHeader("Subject", strings.TrimPrefix(subj, " ")); err != nil {
			return err
		}
		return m.AddHeader("X-Spam-Prev-Subject", strings.TrimPrefix(prev, " "))
	}
	for i, v := range subjects {
		if err := m.ChangeHeader(i+1, "Subject", strings.TrimPrefix(action.SubjectValue(v, tag), " ")); err != nil {
			return err
		}
	}
	for _, v := range subjects {
		first, _, _ := strings.Cut(v, "\r\n")
		if err := m.AddHeader("X-Spam-Prev-Subject", first); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) reset() {
	s.hdr.Reset()
	s.body.Reset()
	s.subjects = nil
}

func (s *session) Abort(gomilter.Modifier) error {
	s.reset()
	if s.gs != nil {
		s.gs.Reset()
	}
	return nil
}

func (s *session) Unknown(string, gomilter.Modifier) (*gomilter.Response, error) {
	return gomilter.RespContinue, nil
}

func (s *session) Cleanup(gomilter.Modifier) {
	if s.gs != nil {
		s.gs.Close()
		s.gs = nil
	}
}

// crlf makes the MTA's folded header value use CRLF line breaks.
func crlf(v string) string {
	var b bytes.Buffer
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\n' && (i == 0 || v[i-1] != '\r'):
			b.WriteString("\r\n")
		case c == '\r' && (i+1 == len(v) || v[i+1] != '\n'):
			b.WriteString("\r\n")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
