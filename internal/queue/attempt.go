package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
)

// attempt delivers the recipients of r at indexes idx (one group) once and
// records the outcome. r is a private copy. slot is called when the
// delivery itself is over.
func (q *Queue) attempt(ctx context.Context, r *record, idx []int, slot func()) {
	hop := r.Rcpts[idx[0]].NextHop
	addrs := make([]string, len(idx))
	for k, i := range idx {
		addrs[k] = r.Rcpts[i].Addr
	}
	var results []Result
	m, err := q.verify(r)
	switch {
	case errors.Is(err, errDamaged):
		q.corrupt(r, err)
		return
	case err != nil:
		results = failAll(addrs, err) // e.g. out of file descriptors: retry later
	default:
		results = q.deliver(ctx, r, m, hop, addrs)
		m.Close()
	}
	slot()
	c, evs, fails := q.outcome(ctx, r, idx, results)
	if len(fails) > 0 && r.From != "" {
		dsn, err := q.bounce(r, fails)
		if err != nil {
			// Keep the recipients pending rather than lose the bounce.
			q.log.Error("queue: bounce failed; will retry", "id", r.ID, "err", err)
			for _, f := range fails {
				rc := c[f.index]
				rc.State, rc.Next = statePending, q.cfg.Now().Add(q.cfg.backoff(rc.Attempts))
				c[f.index] = rc
			}
			evs = dropFailed(evs)
		}
		for k := range evs {
			if evs[k].Kind == "bounced" || evs[k].Kind == "expired" {
				evs[k].DSN = dsn
			}
		}
	}
	q.commit(r.ID, c)
	for _, ev := range evs {
		q.events(ev)
	}
}

// deliver calls the Deliverer. A panic in it is the outbound connection's
// edge: it is logged with its stack and counts as a temporary failure, so
// one bad peer cannot take the gateway down (and restart it into the same
// panic).
func (q *Queue) deliver(ctx context.Context, r *record, m io.ReaderAt, hop string, addrs []string) (res []Result) {
	defer func() {
		if p := recover(); p != nil {
			q.log.Error("queue: deliverer panicked", "id", r.ID, "hop", hop, "panic", p, "stack", string(debug.Stack()))
			res = failAll(addrs, fmt.Errorf("internal error (panic) delivering via %s", hop))
		}
	}()
	return q.d.Deliver(ctx, hop, r.From, addrs, r.message(m))
}

// outcome turns results into the change to the record, the events to report
// and the recipients that failed for good.
func (q *Queue) outcome(ctx context.Context, r *record, idx []int, results []Result) (change, []Event, []failure) {
	byRcpt := make(map[string]Result, len(results))
	for _, res := range results {
		byRcpt[res.Rcpt] = res
	}
	stopping := ctx.Err() != nil
	now := q.cfg.Now()
	deadline := r.Arrived.Add(q.cfg.GiveUp)
	c := change{}
	var evs []Event
	var fails []failure
	for _, i := range idx {
		rc := r.Rcpts[i]
		res, ok := byRcpt[rc.Addr]
		if !ok {
			res = Result{Rcpt: rc.Addr, Err: errors.New("no result from deliverer"), Text: "no result"}
		}
		if res.Err != nil && stopping && !res.Permanent {
			continue // shutting down: this attempt does not count
		}
		rc.Attempts++
		rc.Reply, rc.Status = replyText(res), res.Enhanced
		ev := Event{ID: r.ID, Rcpt: rc.Addr, Relay: rc.NextHop, Reply: rc.Reply, Delay: now.Sub(r.Arrived), Attempts: rc.Attempts}
		switch {
		case res.Err == nil:
			rc.State, ev.Kind = stateSent, "delivered"
		case res.Permanent:
			rc.State, ev.Kind = stateFailed, "bounced"
			fails = append(fails, failure{index: i, rcpt: rc, code: res.Code})
		case !now.Before(deadline):
			rc.State, ev.Kind = stateFailed, "expired"
			fails = append(fails, failure{index: i, rcpt: rc, code: res.Code, expired: true})
		default:
			rc.Next = now.Add(q.cfg.backoff(rc.Attempts))
			if rc.Next.After(deadline) {
				rc.Next = deadline // the last try happens at the deadline
			}
			ev.Kind = "deferred"
		}
		c[i] = rc
		evs = append(evs, ev)
	}
	return c, evs, fails
}

// commit stores c and mirrors it in memory; a finished message loses its
// record, then its spool file.
func (q *Queue) commit(id string, c change) {
	finished, err := q.persist(id, c)
	if err != nil {
		// Still update memory, or the attempt would repeat at once.
		q.log.Error("queue: record update failed", "id", id, "err", err)
	}
	q.mu.Lock()
	if r := q.msgs[id]; r != nil {
		c.apply(r)
		if r.done() {
			delete(q.msgs, id)
		}
	}
	q.mu.Unlock()
	if finished {
		if err := q.sp.Remove(id); err != nil {
			q.log.Error("queue: remove spool file", "id", id, "err", err)
		}
	}
}

// corrupt sets a damaged message aside; it is never delivered.
func (q *Queue) corrupt(r *record, cause error) {
	q.log.Error("queue: damaged message set aside", "id", r.ID, "err", cause)
	if err := q.setAside(r.ID); err != nil {
		q.log.Error("queue: set record aside", "id", r.ID, "err", err)
	}
	if err := q.sp.MarkCorrupt(r.ID); err != nil {
		q.log.Error("queue: set spool file aside", "id", r.ID, "err", err)
	}
	q.mu.Lock()
	delete(q.msgs, r.ID)
	q.mu.Unlock()
	q.events(Event{Kind: "corrupt", ID: r.ID, Reply: cause.Error(), Delay: q.cfg.Now().Sub(r.Arrived)})
}

func failAll(addrs []string, err error) []Result {
	res := make([]Result, len(addrs))
	for i, a := range addrs {
		res[i] = Result{Rcpt: a, Err: err, Text: err.Error()}
	}
	return res
}

func dropFailed(evs []Event) []Event {
	out := evs[:0]
	for _, ev := range evs {
		if ev.Kind != "bounced" && ev.Kind != "expired" {
			out = append(out, ev)
		}
	}
	return out
}

// replyText renders a result as one line: "550 5.1.1 text" or the error.
func replyText(res Result) string {
	var parts []string
	if res.Code > 0 {
		parts = append(parts, strconv.Itoa(res.Code))
	}
	if res.Enhanced != "" {
		parts = append(parts, res.Enhanced)
	}
	text := res.Text
	if text == "" && res.Err != nil {
		text = res.Err.Error()
	}
	if text != "" {
		parts = append(parts, text)
	}
	return oneLine(strings.Join(parts, " "), 500)
}

// oneLine replaces control characters with spaces and truncates to n bytes,
// so a remote reply can never inject lines into a DSN or the log.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimSpace(s)
}
