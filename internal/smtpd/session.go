package smtpd

import (
	"context"
	"crypto/tls"
	"io"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"mailwall/internal/envelope"
	"mailwall/internal/gateway"
	"mailwall/internal/smtp"
)

// backend creates go-smtp sessions over the gateway session that the
// listener already opened for the connection.
type backend struct {
	s          *Server
	submission bool
}

func (b backend) NewSession(gc *gosmtp.Conn) (gosmtp.Session, error) {
	c := unwrap(gc.Conn())
	if c == nil || c.sess == nil {
		return nil, smtp.ErrTempLocal
	}
	sess := &session{srv: b.s, gc: gc, c: c, gs: c.sess, submission: b.submission}
	if st, ok := gc.TLSConnectionState(); ok {
		c.sess.Conn.TLS = true
		c.sess.Conn.TLSVersion = tls.VersionName(st.Version)
		c.sess.Conn.TLSCipher = tls.CipherSuiteName(st.CipherSuite)
	}
	if err := sess.gs.Helo(context.Background(), gc.Hostname()); err != nil {
		return nil, toGo(err)
	}
	return sess, nil
}

// session adapts go-smtp's callbacks to gateway.Session.
type session struct {
	srv        *Server
	gc         *gosmtp.Conn
	c          *conn
	gs         *gateway.Session
	submission bool
}

var _ gosmtp.AuthSession = (*session)(nil)

func (s *session) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.srv.opts.CommandTimeout)
}

// after converts the gateway's answer and arms the disconnect when the
// gateway asked for it (too many errors).
func (s *session) after(err error) error {
	if s.gs.Drop {
		s.c.dropAfter.Store(true)
	}
	return toGo(err)
}

func (s *session) AuthMechanisms() []string {
	if !s.authAllowed() {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// authAllowed: AUTH only under TLS, or from loopback when configured
// (RELIABILITY.md: AUTH is not offered before TLS).
func (s *session) authAllowed() bool {
	if s.gs.Conn.TLS {
		return true
	}
	return s.srv.opts.AuthWithoutTLS && s.gs.Conn.IP().IsLoopback()
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if !s.authAllowed() {
		return nil, &gosmtp.SMTPError{Code: 538, EnhancedCode: gosmtp.EnhancedCode{5, 7, 11}, Message: "Encryption required for requested authentication mechanism"}
	}
	check := func(user, pass string) error {
		ctx, cancel := s.ctx()
		defer cancel()
		return s.after(s.gs.Auth(ctx, user, pass))
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return newLoginServer(check), nil
	}
	return nil, gosmtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, opts *gosmtp.MailOptions) error {
	if s.submission && s.gs.Conn.AuthUser == "" {
		return s.after(smtp.New(530, smtp.EnhancedCode{5, 7, 0}, smtp.ReasonAuthFailed, "Authentication required"))
	}
	env := envelope.Envelope{}
	if opts != nil {
		env.Size = opts.Size
		env.SMTPUTF8 = opts.UTF8
		env.Body8Bit = opts.Body == gosmtp.Body8BitMIME
		env.RequireTLS = opts.RequireTLS
	}
	ctx, cancel := s.ctx()
	defer cancel()
	return s.after(s.gs.Mail(ctx, from, env))
}

func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ctx, cancel := s.ctx()
	defer cancel()
	return s.after(s.gs.Rcpt(ctx, to))
}

func (s *session) Data(r io.Reader) error {
	dr := &deadlineReader{r: r, c: s.c, d: s.srv.opts.DataTimeout}
	le := newLineEndings(dr, s.srv.opts.NormalizeBareLF, s.c.sawHidden.Load)
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.opts.CommandTimeout+s.srv.opts.DataTimeout)
	defer cancel()
	id, err := s.gs.Data(ctx, le)
	if err != nil {
		return s.after(err)
	}
	return &gosmtp.SMTPError{Code: 250, EnhancedCode: gosmtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as " + id}
}

func (s *session) Reset() { s.gs.Reset() }

// Logout is called at the end and on STARTTLS; the gateway session lives
// on until the connection closes (conn.Close).
func (s *session) Logout() error { return nil }

// deadlineReader renews the read deadline before each read of DATA, so the
// data timeout applies per read (RFC 5321 4.5.3.2.6), not to the whole body.
type deadlineReader struct {
	r io.Reader
	c *conn
	d time.Duration
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	d.c.Conn.SetReadDeadline(time.Now().Add(d.d))
	n, err := d.r.Read(p)
	switch err {
	case gosmtp.ErrDataTooLarge:
		err = smtp.ErrTooBig
	case gosmtp.ErrTooLongLine:
		err = errLineTooLong
	}
	return n, err
}

// toGo turns our errors into go-smtp's reply type.
func toGo(err error) error {
	if err == nil {
		return nil
	}
	e := smtp.As(err)
	if e == nil {
		e = smtp.ErrTempLocal
	}
	return &gosmtp.SMTPError{Code: e.Code, EnhancedCode: gosmtp.EnhancedCode(e.Enhanced), Message: smtp.Sanitize(e.Text)}
}

var errLineTooLong = smtp.New(500, smtp.EnhancedCode{5, 5, 2}, smtp.ReasonProtocol,
	"Line too long in message data")
