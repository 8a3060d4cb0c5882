package queue

import (
	"context"
	"slices"
	"time"
)

// maxIdle bounds how long Run sleeps without looking at the queue, so that a
// clock jump cannot stall delivery for long.
const maxIdle = 30 * time.Second

// Run delivers queued messages until ctx is done, then waits for the
// attempts in progress (which see ctx cancelled) and returns nil. It resumes
// every record loaded by Open and wakes on Enqueue and Flush. Call it once.
func (q *Queue) Run(ctx context.Context) error {
	timer := time.NewTimer(maxIdle)
	defer timer.Stop()
	for {
		next := q.dispatch(ctx)
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

// dispatch starts an attempt for every due (message, group) pair that the
// concurrency limits allow, oldest message first, and returns the earliest
// time a not-yet-due recipient becomes due (zero if none).
func (q *Queue) dispatch(ctx context.Context) time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.cfg.Now()
	var next time.Time
	ids := make([]string, 0, len(q.msgs))
	for id := range q.msgs {
		ids = append(ids, id)
	}
	slices.Sort(ids) // spool IDs sort by arrival
	for _, id := range ids {
		if q.active >= q.cfg.Concurrency {
			break // a finishing attempt wakes us
		}
		r := q.msgs[id]
		var order []string
		groups := map[string][]int{}
		for i, rc := range r.Rcpts {
			if rc.State != statePending {
				continue
			}
			if rc.Next.After(now) {
				if next.IsZero() || rc.Next.Before(next) {
					next = rc.Next
				}
				continue
			}
			g := groupKey(rc)
			if groups[g] == nil {
				order = append(order, g)
			}
			groups[g] = append(groups[g], i)
		}
		for _, g := range order {
			key := id + "\x00" + g
			if q.busy[key] || q.destBusy[g] >= q.cfg.PerDestination || q.active >= q.cfg.Concurrency {
				continue
			}
			q.busy[key] = true
			q.destBusy[g]++
			q.active++
			r := r.clone()
			idx := groups[g]
			q.workers.Go(func() {
				defer q.release(key, g)
				q.attempt(ctx, r, idx)
			})
		}
	}
	return next
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
