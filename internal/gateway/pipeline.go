package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"mailwall/internal/action"
	"mailwall/internal/envelope"
	"mailwall/internal/maillog"
	"mailwall/internal/mime"
	"mailwall/internal/quarantine"
	"mailwall/internal/queue"
	"mailwall/internal/scan"
	"mailwall/internal/smtp"
	"mailwall/internal/spool"
	"mailwall/internal/verdict"
)

// Data receives the message body (dot-unstuffed, CRLF line endings as the
// front end checked them), runs the pipeline, and returns the queue ID.
// A nil error means the message is durably queued (or deliberately
// dropped): only then may the front end say 250. r is read to its end
// whatever happens.
func (s *Session) Data(ctx context.Context, r io.Reader) (string, error) {
	defer s.Reset()
	if len(s.env.Rcpts) == 0 {
		return "", smtp.New(554, smtp.EnhancedCode{5, 5, 1}, smtp.ReasonProtocol, "No valid recipients")
	}
	id, n, err := s.g.receive(r)
	if err != nil {
		io.Copy(io.Discard, r)
		if id == "" {
			return "", s.refused(ctx, "DATA", "", err)
		}
		return "", s.refusedID(ctx, id, err)
	}
	s.messages++
	err = s.process(ctx, id, n)
	if err != nil {
		s.g.spool.Remove(id)
		return id, s.refusedID(ctx, id, err)
	}
	return id, nil
}

// receive writes r to a new spool file and commits it. On failure the
// file is gone, id is "" when none could be created, and err is the reply
// (spoolError).
func (g *Gateway) receive(r io.Reader) (id string, n int64, err error) {
	w, err := g.spool.Create()
	if err != nil {
		return "", 0, spoolError(err)
	}
	if n, err = io.Copy(w, r); err == nil {
		err = w.Commit()
	}
	if err != nil {
		w.Abort()
		return w.ID(), n, spoolError(err)
	}
	return w.ID(), n, nil
}

// spoolError maps a failure while receiving into its reply: the front
// end's own *smtp.Error (bare LF, size) passes through.
func spoolError(err error) error {
	if e := smtp.As(err); e != nil {
		return e
	}
	if errors.Is(err, spool.ErrDiskFull) {
		return smtp.ErrDiskFull.Wrap(err)
	}
	return smtp.ErrTempLocal.Wrap(err)
}

// Outcome is what the content stages decided about one message.
type Outcome struct {
	ID      string
	Verdict verdict.Verdict
	Report  *scan.Report
	Subject string
	// Discarded: a policy said to accept and drop the message.
	Discarded bool
	// Groups are the recipients by outcome under their spam
	// preferences (verdict.Plan); Verdict is the transaction's.
	Groups []verdict.Group
}

// process runs everything after the spool: the content stages, then the
// action and the queue. A nil return means the message is queued or
// dropped by design; the caller removes the spool file on error.
func (s *Session) process(ctx context.Context, id string, size int64) error {
	out, err := s.check(ctx, id, size)
	if err != nil {
		return err
	}
	if out.Discarded {
		s.g.stats.Discarded.Add(1)
		s.g.mlog.Write(maillog.Discarded{ID: id, Reason: "policy"})
		s.g.spool.Remove(id)
		return nil
	}
	return s.deliver(ctx, out)
}

// check runs the content stages on a spooled message: policy at DATA,
// parse once, loop check, scanners in parallel, verdict.
func (s *Session) check(ctx context.Context, id string, size int64) (*Outcome, error) {
	c, env := s.Conn, &s.env
	env.Size = size
	if s.g.policy != nil {
		if err := s.policyErr(s.g.policy.Data(ctx, c, env)); err != nil {
			return nil, err
		}
	}
	if s.discard {
		return &Outcome{ID: id, Discarded: true}, nil
	}
	m, err := s.g.spool.Open(id)
	if err != nil {
		return nil, smtp.ErrTempLocal.Wrap(err)
	}
	defer m.Close()
	msg, err := mime.Parse(m, m.Size(), mimeLimits)
	if err != nil {
		return nil, smtp.ErrTempLocal.Wrap(fmt.Errorf("parse %s: %w", id, err))
	}
	if max := s.g.opts.MaxReceived; max > 0 && msg.Header.Count("Received") >= max {
		return nil, smtp.ErrLoop
	}
	if s.g.opts.RefuseAmbiguousMIME && msg.Ambiguous() {
		return nil, smtp.New(554, smtp.EnhancedCode{5, 6, 0}, smtp.ReasonAmbiguousMIME,
			"Message structure is ambiguous (duplicate MIME headers or boundaries)")
	}
	task := &scan.Task{ID: id, Conn: c, Env: env, Msg: msg, Raw: m, Size: m.Size()}
	to := addrs(env.Rcpts)
	rep := scan.Run(ctx, task, s.scanners(to), s.g.opts.ScanTimeout)
	d := verdict.Plan(s.g.verdict, rep, to)
	v := d.Verdict
	s.logFindings(ctx, id, rep)
	if v.Spam {
		s.g.stats.Spam.Add(1)
	}
	return &Outcome{ID: id, Verdict: v, Report: rep, Subject: msg.Header.Get("Subject"), Groups: d.Groups}, nil
}

// apply carries out the verdict for rcpts (all the transaction's, or
// one group's with out.ID naming its own copy).
func (s *Session) apply(ctx context.Context, out *Outcome, rcptAddrs []envelope.Address) error {
	c, env := s.Conn, &s.env
	id, v, rep, subject := out.ID, out.Verdict, out.Report, out.Subject
	switch v.Action {
	case verdict.Reject, verdict.TempFail:
		return v.Err
	case verdict.Discard:
		s.g.stats.Discarded.Add(1)
		s.g.mlog.Write(maillog.Discarded{ID: id, Reason: v.Reason + ": " + v.Detail})
		s.g.spool.Remove(id)
		return nil
	}
	rcv := action.Received(c, env, s.g.opts.Hostname, id, time.Now())
	prefix := action.Headers(rcv, v, rep, "mailwall")
	rcpts := make([]queue.Recipient, len(rcptAddrs))
	to := addrs(rcptAddrs)
	hops := make([]string, len(rcptAddrs))
	for i, a := range rcptAddrs {
		hops[i] = s.g.opts.Routes.NextHop(a.Domain)
		rcpts[i] = queue.Recipient{Addr: to[i], NextHop: hops[i]}
	}
	if v.Action == verdict.Quarantine {
		if s.g.quarantine == nil {
			return smtp.ErrTempLocal.Wrap(errors.New("quarantine action without a quarantine store"))
		}
		err := s.g.quarantine.Put(quarantine.Entry{ID: id, From: env.From.String(), Rcpts: to, Hops: hops,
			Reason: v.Reason, Detail: v.Detail, Score: v.Score, Size: env.Size, Subject: subject,
			Time: time.Now(), Prefix: prefix})
		if err != nil {
			return spoolError(err)
		}
		s.g.stats.Quarantined.Add(1)
		s.g.mlog.Write(maillog.Quarantined{ID: id, Reason: v.Reason + " " + v.Detail, Score: v.Score})
		return nil
	}
	e, err := s.edit(id, rcv, v, rep, prefix)
	if err != nil {
		return spoolError(err)
	}
	if err := s.g.queue.EnqueueEdited(ctx, id, e, env.From.String(), rcpts); err != nil {
		return spoolError(err)
	}
	s.g.stats.Messages.Add(1)
	s.g.mlog.Write(maillog.Queued{ID: id, Client: c.IP().String(), From: env.From.String(), To: to,
		Size: env.Size, Score: v.Score, Action: v.Action.String()})
	return nil
}

// edit is how the copy id goes out: a tagged spam may go wrapped in a
// report (spam.report_safe, whose new header carries its own Subject);
// without a usable wrap it keeps the headers-only prefix, and its
// Subject fields, when the spam rules ask (rewrite_header Subject), are
// left out of the spooled bytes and rewritten at the prefix's end.
func (s *Session) edit(id, rcv string, v verdict.Verdict, rep *scan.Report, prefix []byte) (queue.Edit, error) {
	if p, sfx, ok := action.Wrapped(rcv, v, rep); ok {
		return queue.Edit{Prefix: p, Suffix: sfx}, nil
	}
	e := queue.Edit{Prefix: prefix}
	tag, ok := action.SubjectTag(v, rep)
	if !ok {
		return e, nil
	}
	m, err := s.g.spool.Open(id)
	if err != nil {
		return e, err
	}
	defer m.Close()
	fields, cut, err := action.RewriteSubject(io.NewSectionReader(m, 0, m.Size()), tag)
	if err != nil {
		return e, fmt.Errorf("rewrite subject of %s: %w", id, err)
	}
	e.Prefix = append(prefix[:len(prefix):len(prefix)], fields...)
	for _, c := range cut {
		e.Skip = append(e.Skip, queue.Range{Off: c.Start, Len: c.End - c.Start})
	}
	return e, nil
}

func (s *Session) logFindings(ctx context.Context, id string, rep *scan.Report) {
	for _, f := range rep.Findings() {
		if f.Symbol == verdict.SymVirus {
			s.g.stats.Viruses.Add(1)
			s.g.mlog.Write(maillog.VirusFound{ID: id, Name: f.Detail, Client: s.Conn.IP().String()})
		}
	}
	for _, f := range rep.Failed() {
		s.g.log.WarnContext(ctx, "scanner failed", "id", id, "scanner", f.Symbol, "err", f.Detail)
	}
}

// refusedID is refused for the DATA stage with the queue ID in the reply,
// so the client's copy and our log can be joined.
func (s *Session) refusedID(ctx context.Context, id string, err error) error {
	e := smtp.As(err)
	if e == nil {
		e = smtp.ErrTempLocal.Wrap(err)
	}
	c := *e
	c.Text = fmt.Sprintf("%s (id %s)", e.Text, id)
	return s.refusedAs(ctx, id, "DATA", "", &c)
}

// Inspect runs the content stages on a message that another MTA keeps
// (the milter front end): the bytes go to the spool only for the scanners
// and are removed afterwards. The caller turns the Outcome into the MTA's
// actions; nothing is queued here.
func (s *Session) Inspect(ctx context.Context, r io.Reader) (*Outcome, error) {
	defer s.Reset()
	id, n, err := s.g.receive(r)
	if err != nil {
		if id == "" {
			return nil, s.refused(ctx, "DATA", "", err)
		}
		return nil, s.refusedAs(ctx, id, "DATA", "", err)
	}
	defer s.g.spool.Remove(id)
	s.messages++
	out, err := s.check(ctx, id, n)
	if err != nil {
		return nil, s.refusedAs(ctx, id, "DATA", "", err)
	}
	switch v := out.Verdict; {
	case out.Discarded || v.Action == verdict.Discard:
		s.g.stats.Discarded.Add(1)
		s.g.mlog.Write(maillog.Discarded{ID: id, Reason: v.Reason + " " + v.Detail})
	case v.Action == verdict.Reject || v.Action == verdict.TempFail:
		s.refusedAs(ctx, id, "DATA", "", v.Err)
	case v.Action == verdict.Quarantine:
		s.g.stats.Quarantined.Add(1)
		s.g.mlog.Write(maillog.Quarantined{ID: id, Reason: v.Reason + " " + v.Detail, Score: v.Score})
	default:
		s.g.stats.Messages.Add(1)
		s.g.mlog.Write(maillog.Queued{ID: id, Client: s.Conn.IP().String(), From: s.env.From.String(),
			To: addrs(s.env.Rcpts), Size: n, Score: v.Score, Action: v.Action.String()})
	}
	return out, nil
}

func addrs(as []envelope.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}
