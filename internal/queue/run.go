package queue

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// # Scheduling
//
// Every pending recipient belongs to a group: its next hop, and for "mx"
// its domain. A group is both the unit of one delivery attempt (one
// connection carries all due recipients of a message in that group) and the
// key of the per-destination limit. Due (message, group) pairs wait in a
// FIFO per group ("ready"); recipients due later wait in a time heap and
// move to ready when their time comes. Dispatching is then proportional to
// the attempts started, not to the queue length, so a long queue behind a
// dead next hop costs nothing per delivery elsewhere.

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

// add puts a record in memory and schedules it; the caller holds q.mu.
func (q *Queue) add(r *record) {
	q.msgs[r.ID] = r
	q.schedule(r, q.cfg.Now())
}

// schedule files r's pending recipients: due groups into ready (unless
// already there or running), the earliest later time into the heap. The
// caller holds q.mu. Calling it again for the same record is harmless.
func (q *Queue) schedule(r *record, now time.Time) {
	var later time.Time
	for _, rc := range r.Rcpts {
		if rc.State != statePending {
			continue
		}
		if rc.Next.After(now) {
			if later.IsZero() || rc.Next.Before(later) {
				later = rc.Next
			}
			continue
		}
		g := groupKey(rc)
		key := r.ID + "\x00" + g
		if !q.queued[key] && !q.busy[key] {
			q.queued[key] = true
			q.ready[g] = append(q.ready[g], r.ID)
		}
	}
	if !later.IsZero() {
		heap.Push(&q.timers, timerEntry{at: later, id: r.ID})
	}
}

// dispatch moves recipients that became due into ready, starts every
// attempt the limits allow, and returns when the next recipient becomes due
// (zero if none).
func (q *Queue) dispatch(ctx context.Context) time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.cfg.Now()
	for len(q.timers) > 0 && !q.timers[0].at.After(now) {
		e := heap.Pop(&q.timers).(timerEntry)
		if r := q.msgs[e.id]; r != nil {
			q.schedule(r, now)
		}
	}
	for g, ids := range q.ready {
		for len(ids) > 0 && q.destBusy[g] < q.cfg.PerDestination && q.active < q.cfg.Concurrency {
			id := ids[0]
			ids = ids[1:]
			delete(q.queued, id+"\x00"+g)
			if r := q.msgs[id]; r != nil {
				q.start(ctx, r, g, now)
			}
		}
		if len(ids) == 0 {
			delete(q.ready, g)
		} else {
			q.ready[g] = ids
		}
	}
	if len(q.timers) > 0 {
		return q.timers[0].at
	}
	return time.Time{}
}

// start launches an attempt for r's due recipients in group g; the caller
// holds q.mu.
func (q *Queue) start(ctx context.Context, r *record, g string, now time.Time) {
	var idx []int
	for i, rc := range r.Rcpts {
		if rc.State == statePending && !rc.Next.After(now) && groupKey(rc) == g {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	key := r.ID + "\x00" + g
	q.busy[key] = true
	q.destBusy[g]++
	q.active++
	rc := r.clone()
	q.workers.Go(func() {
		var once sync.Once
		slot := func() { once.Do(func() { q.releaseSlot(g) }) }
		defer q.release(rc.ID, key)
		defer slot()
		q.attempt(ctx, rc, idx, slot)
	})
}

// releaseSlot frees the concurrency slots of an attempt once its delivery
// is over; recording the outcome (an fsync) does not hold them.
func (q *Queue) releaseSlot(g string) {
	q.mu.Lock()
	if q.destBusy[g]--; q.destBusy[g] <= 0 {
		delete(q.destBusy, g)
	}
	q.active--
	q.mu.Unlock()
	q.poke()
}

// release ends an attempt and schedules what is left of the message.
func (q *Queue) release(id, key string) {
	q.mu.Lock()
	delete(q.busy, key)
	if r := q.msgs[id]; r != nil {
		q.schedule(r, q.cfg.Now())
	}
	q.mu.Unlock()
	q.poke()
}

// backoff is the wait after the n-th failed attempt (n >= 1).
func (c *Config) backoff(n int) time.Duration {
	return c.Retry[min(max(n-1, 0), len(c.Retry)-1)]
}

// timerEntry says record id may have recipients due at at.
type timerEntry struct {
	at time.Time
	id string
}

// timerHeap is a min-heap of timerEntry by time (container/heap).
type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
