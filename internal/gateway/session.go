package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"mailwall/internal/envelope"
	"mailwall/internal/maillog"
	"mailwall/internal/smtp"
)

// Session is one client connection's transaction state. A front end calls
// its methods in protocol order from one goroutine; it is not safe for
// concurrent use.
type Session struct {
	g        *Gateway
	Conn     *envelope.Conn
	env      envelope.Envelope
	discard  bool // a policy said: accept, then drop
	messages int
	// Drop is set when the client must be disconnected after the reply.
	Drop bool
}

// NewSession starts a session for a connected client.
func (g *Gateway) NewSession(c *envelope.Conn) *Session {
	g.stats.Connections.Add(1)
	return &Session{g: g, Conn: c}
}

// Connect runs the connection policy. A non-nil error is the reply to give
// instead of the greeting.
func (s *Session) Connect(ctx context.Context) error {
	s.g.mlog.Write(maillog.Connect{ConnID: s.Conn.ID, Client: s.Conn.IP().String(), Hostname: s.Conn.Hostname})
	if s.g.policy == nil {
		return nil
	}
	return s.refused(ctx, "CONNECT", "", s.g.policy.Connect(ctx, s.Conn))
}

// Helo records the HELO/EHLO name and runs the HELO policy.
func (s *Session) Helo(ctx context.Context, name string) error {
	s.Conn.Helo = name
	if s.g.policy == nil {
		return nil
	}
	return s.refused(ctx, "HELO", "", s.g.policy.Helo(ctx, s.Conn))
}

// Auth checks a login. On success the session is authenticated.
func (s *Session) Auth(ctx context.Context, user, pass string) error {
	if s.g.policy == nil {
		return smtp.New(535, smtp.EnhancedCode{5, 7, 8}, smtp.ReasonAuthFailed, "Authentication credentials invalid")
	}
	if err := s.g.policy.Authenticate(ctx, s.Conn, user, pass); err != nil {
		return s.refused(ctx, "AUTH", "", err)
	}
	s.Conn.AuthUser = user
	return nil
}

// Mail starts a transaction.
func (s *Session) Mail(ctx context.Context, from string, env envelope.Envelope) error {
	s.Reset()
	addr, err := envelope.ParseAddress(from)
	if err != nil {
		return s.refused(ctx, "MAIL", "", addrError(err, "Sender"))
	}
	env.From, env.Rcpts = addr, nil
	if s.g.opts.MaxMessageSize > 0 && env.Size > s.g.opts.MaxMessageSize {
		return s.refused(ctx, "MAIL", "", smtp.ErrTooBig)
	}
	s.env = env
	if s.g.policy != nil {
		if err := s.policyErr(s.g.policy.Mail(ctx, s.Conn, &s.env)); err != nil {
			s.env = envelope.Envelope{}
			return s.refused(ctx, "MAIL", "", err)
		}
	}
	return nil
}

// Rcpt adds a recipient.
func (s *Session) Rcpt(ctx context.Context, raw string) error {
	if s.g.opts.MaxRecipients > 0 && len(s.env.Rcpts) >= s.g.opts.MaxRecipients {
		return s.refused(ctx, "RCPT", raw, smtp.ErrTooManyRcpts)
	}
	var addr envelope.Address
	if s.g.policy != nil {
		a, err := s.g.policy.Rcpt(ctx, s.Conn, &s.env, raw)
		if err := s.policyErr(err); err != nil {
			return s.refused(ctx, "RCPT", raw, err)
		}
		addr = a
	} else {
		a, err := envelope.ParseAddress(raw)
		if err != nil {
			return s.refused(ctx, "RCPT", raw, addrError(err, "Recipient"))
		}
		addr = a
	}
	if s.g.opts.Routes != nil && s.g.opts.Routes.NextHop(addr.Domain) == "" {
		return s.refused(ctx, "RCPT", raw, smtp.New(550, smtp.EnhancedCode{5, 1, 2},
			smtp.ReasonUnknownRcpt, "No route to recipient domain"))
	}
	s.env.Rcpts = append(s.env.Rcpts, addr)
	return nil
}

// Reset aborts the current transaction (RSET, new MAIL, end of DATA).
func (s *Session) Reset() {
	s.env = envelope.Envelope{}
	s.discard = false
}

// Close ends the session.
func (s *Session) Close() {
	if s.g.policy != nil {
		s.g.policy.Disconnect(s.Conn)
	}
	s.g.mlog.Write(maillog.Disconnect{ConnID: s.Conn.ID, Client: s.Conn.IP().String(), Messages: s.messages})
}

// Envelope returns the current envelope (read-only use).
func (s *Session) Envelope() *envelope.Envelope { return &s.env }

// policyErr turns ErrDiscard into the session's discard mark.
func (s *Session) policyErr(err error) error {
	if errors.Is(err, ErrDiscard) {
		s.discard = true
		return nil
	}
	return err
}

// refused logs a refusal and returns the reply; nil passes through.
func (s *Session) refused(ctx context.Context, stage, rcpt string, err error) error {
	return s.refusedAs(ctx, s.Conn.ID, stage, rcpt, err)
}

// refusedAs is refused with the log line under id (a queue ID at DATA).
func (s *Session) refusedAs(ctx context.Context, id, stage, rcpt string, err error) error {
	if err == nil {
		return nil
	}
	e := smtp.As(err)
	if e == nil {
		s.g.log.ErrorContext(ctx, "policy error", "conn", s.Conn.ID, "stage", stage, "err", err)
		e = smtp.ErrTempLocal.Wrap(err)
	}
	if e.Err != nil {
		// The client sees generic text; the cause goes to the log with the ID.
		s.g.log.WarnContext(ctx, "refused", "id", id, "stage", stage, "reply", e.Code, "reason", e.Reason, "err", e.Err)
	}
	if e.Code >= 500 {
		s.g.stats.Rejected.Add(1)
	} else {
		s.g.stats.TempFailed.Add(1)
	}
	s.g.mlog.Write(maillog.Rejected{ID: id, Stage: stage, Client: s.Conn.IP().String(),
		From: s.env.From.String(), Rcpt: rcpt, User: s.Conn.AuthUser, Code: e.Code, Enhanced: e.Enhanced.String(),
		Text: e.Text, Reason: e.Reason})
	if s.g.policy != nil && stage != "DATA" && s.g.policy.TooManyErrors(s.Conn) {
		s.Drop = true
	}
	return e
}

// addrError maps an address syntax error to its reply (RFC 5321 4.2.3).
func addrError(err error, who string) *smtp.Error {
	if errors.Is(err, envelope.ErrAddrTooLong) {
		return smtp.New(553, smtp.EnhancedCode{5, 1, 3}, smtp.ReasonSyntax, who+" address too long")
	}
	return smtp.New(553, smtp.EnhancedCode{5, 1, 3}, smtp.ReasonSyntax,
		fmt.Sprintf("%s address syntax error", strings.ToLower(who[:1])+who[1:]))
}
