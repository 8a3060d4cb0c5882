package gateway

import (
	"context"
	"io"

	"mailwall/internal/envelope"
	"mailwall/internal/maillog"
	"mailwall/internal/scan"
	"mailwall/internal/verdict"
)

// # Recipients that disagree
//
// Each recipient's spam preferences (verdict.Config.For) decide for that
// recipient on the one report; verdict.Plan groups the recipients by
// outcome. When they all agree (one group) the message is handled as a
// whole, as before. Otherwise, once the transaction is accepted, every
// group that keeps the message (accept, tag, quarantine) gets a copy of
// its own: the first such group keeps the spooled message under the
// transaction's ID, each further group gets a new spool file with the
// same bytes and its own ID, and each copy is queued or quarantined
// with the headers its verdict gives (verdict.View). Recipients whose
// outcome is reject or discard get nothing; the mail log says so.
//
// Durability: every copy is committed to the spool before any record
// is written; the copies are recorded first and the transaction's own
// ID last. If a record fails, the copies not yet recorded are removed
// and the client gets a 4xx: nothing is lost, and at worst the groups
// recorded already receive a second copy when the client retries.

// scanners returns the scanners to run for rcpts: without the spam
// scanner when none of them wants the spam check.
func (s *Session) scanners(rcpts []string) []scan.Scanner {
	if s.g.verdict.SpamWanted(rcpts) {
		return s.g.scanners
	}
	var out []scan.Scanner
	for _, sc := range s.g.scanners {
		if sc.Name() != verdict.ScannerSpam {
			out = append(out, sc)
		}
	}
	return out
}

// deliver carries out the decision: as a whole when the recipients agree
// or the transaction is refused, else one copy per group that keeps it.
func (s *Session) deliver(ctx context.Context, out *Outcome) error {
	switch a := out.Verdict.Action; {
	case len(out.Groups) > 1 && a != verdict.Reject && a != verdict.TempFail:
		return s.split(ctx, out)
	case len(out.Groups) == 1:
		g := out.Groups[0]
		o := *out
		o.Report = verdict.View(g.Config, g.Verdict, out.Report)
		return s.apply(ctx, &o, s.env.Rcpts)
	}
	return s.apply(ctx, out, s.env.Rcpts)
}

// split gives each group that keeps the message its own copy (see
// "Recipients that disagree").
func (s *Session) split(ctx context.Context, out *Outcome) error {
	var kept []verdict.Group
	for _, g := range out.Groups {
		if g.Kept() {
			kept = append(kept, g)
		}
	}
	ids := make([]string, len(kept))
	if len(kept) > 0 {
		ids[0] = out.ID
	}
	for i := 1; i < len(kept); i++ {
		id, err := s.copySpool(out.ID)
		if err != nil {
			s.removeAll(ids[1:i])
			return spoolError(err)
		}
		ids[i] = id
	}
	for i := len(kept) - 1; i >= 0; i-- {
		g := kept[i]
		o := &Outcome{ID: ids[i], Verdict: g.Verdict, Subject: out.Subject,
			Report: verdict.View(g.Config, g.Verdict, out.Report)}
		if err := s.apply(ctx, o, s.rcptsOf(g)); err != nil {
			s.removeAll(ids[1 : i+1])
			return err
		}
	}
	ev := maillog.Split{ID: out.ID, Score: out.Verdict.Score, Rcpts: make([]maillog.RcptOutcome, len(s.env.Rcpts))}
	dropped := false
	k := 0
	for _, g := range out.Groups {
		id := ""
		if g.Kept() {
			id = ids[k]
			k++
		} else {
			dropped = true
		}
		action := g.Verdict.Action.String()
		if !g.Kept() && g.Verdict.Reason != "" {
			action += ": " + g.Verdict.Reason + " " + g.Verdict.Detail
		}
		for _, i := range g.Rcpts {
			ev.Rcpts[i] = maillog.RcptOutcome{Rcpt: s.env.Rcpts[i].String(), Action: action, CopyID: id}
		}
	}
	s.g.mlog.Write(ev)
	if dropped {
		s.g.stats.Discarded.Add(1)
	}
	if len(kept) == 0 {
		s.g.spool.Remove(out.ID)
	}
	return nil
}

func (s *Session) rcptsOf(g verdict.Group) []envelope.Address {
	out := make([]envelope.Address, len(g.Rcpts))
	for i, r := range g.Rcpts {
		out[i] = s.env.Rcpts[r]
	}
	return out
}

// copySpool commits a second spool file with the bytes of id.
func (s *Session) copySpool(id string) (string, error) {
	m, err := s.g.spool.Open(id)
	if err != nil {
		return "", err
	}
	defer m.Close()
	w, err := s.g.spool.Create()
	if err != nil {
		return "", err
	}
	if _, err = io.Copy(w, io.NewSectionReader(m, 0, m.Size())); err == nil {
		err = w.Commit()
	}
	if err != nil {
		w.Abort()
		return "", err
	}
	return w.ID(), nil
}

func (s *Session) removeAll(ids []string) {
	for _, id := range ids {
		s.g.spool.Remove(id)
	}
}
