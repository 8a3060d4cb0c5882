package queue

import (
	"context"
	"slices"
	"time"
)

// maxIdle bounds how long Run sleeps without looking at the queue, so that a
// clock jump cannot stall delivery for long.
const maxIdle = 30 * time.Second

// Run delivers queued messages until ctx is done and returns nil then. It
// resumes every record loaded by Open and wakes on Enqueue and Flush. When
// ctx is done no new attempt starts; attempts in progress get Config.Drain
// to finish before their context is cancelled too, and Run returns when
// they have. Call Run once.
func (q *Queue) Run(ctx context.Context) error {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(q.cfg.Drain, cancel) })
	defer stop()
	timer := time.NewTimer(maxIdle)
	defer timer.Stop()
	for {
		next := q.dispatch(wctx)
		wait := maxIdle
		if !next.IsZero() {
			wait = min(max(next.Sub(q.cfg.Now()), 0), maxIdle)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			q.workers.Wait()
			return nil
		case <-q.wake:
		case <-timer.C:
		}
	}
}

// add puts a record in memory; the caller holds q.mu.
func (q *Queue) add(r *record) {
	q.msgs[r.ID] = r
	q.order = append(q.order, r.ID)
}

// dispatch starts an attempt for every due (message, group) pair that the
// concurrency limits allow, oldest message first, and returns the earliest
// time a not-yet-due recipient becomes due (zero if none).
func (q *Queue) dispatch(ctx context.Context) time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.compact()
	now := q.cfg.Now()
	var next time.Time
	for _, id := range q.order {
		if q.active >= q.cfg.Concurrency {
			break // a finishing attempt wakes us
		}
		r := q.msgs[id]
		if r == nil {
			continue // finished or deleted; compact drops it later
		}
		due := false
		for _, rc := range r.Rcpts {
			switch {
			case rc.State != statePending:
			case rc.Next.After(now):
				if next.IsZero() || rc.Next.Before(next) {
					next = rc.Next
				}
			default:
				due = true
			}
		}
		if due {
			q.start(ctx, r, now)
		}
	}
	return next
}

// start launches one attempt per group of due recipients of r that is not
// already running and within the limits; the caller holds q.mu.
func (q *Queue) start(ctx context.Context, r *record, now time.Time) {
	var order []string
	groups := map[string][]int{}
	for i, rc := range r.Rcpts {
		if rc.State == statePending && !rc.Next.After(now) {
			g := groupKey(rc)
			if groups[g] == nil {
				order = append(order, g)
			}
			groups[g] = append(groups[g], i)
		}
	}
	for _, g := range order {
		key := r.ID + "\x00" + g
		if q.busy[key] || q.destBusy[g] >= q.cfg.PerDestination || q.active >= q.cfg.Concurrency {
			continue
		}
		q.busy[key] = true
		q.destBusy[g]++
		q.active++
		rc, idx := r.clone(), groups[g]
		q.workers.Go(func() {
			defer q.release(key, g)
			q.attempt(ctx, rc, idx)
		})
	}
}

// compact drops finished IDs from q.order once they are the majority, and
// keeps it in ID (arrival) order; the caller holds q.mu.
func (q *Queue) compact() {
	if len(q.order) <= 2*len(q.msgs)+64 && slices.IsSorted(q.order[max(len(q.order)-64, 0):]) {
		return
	}
	q.order = q.order[:0]
	for id := range q.msgs {
		q.order = append(q.order, id)
	}
	slices.Sort(q.order)
}

func (q *Queue) release(key, g string) {
	q.mu.Lock()
	delete(q.busy, key)
	if q.destBusy[g]--; q.destBusy[g] <= 0 {
		delete(q.destBusy, g)
	}
	q.active--
	q.mu.Unlock()
	q.poke()
}

// backoff is the wait after the n-th failed attempt (n >= 1).
func (c *Config) backoff(n int) time.Duration {
	return c.Retry[min(max(n-1, 0), len(c.Retry)-1)]
}
