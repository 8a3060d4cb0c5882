package queue

import (
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// # Group commit
//
// Every change to the database goes through update. The first caller to
// find no commit running becomes the leader: it takes every change queued
// so far, applies them in one read-write transaction and commits it (one
// fsync for all), then repeats while more changes arrived during that
// commit. Other callers wait for the commit that carries their change. So
// under load each commit carries everything that queued while the previous
// one was on disk, with no fixed delay; an idle queue commits at once.
// (bbolt's DB.Batch instead forms batches by a timer, which under load
// turns into a line of small commits.)
//
// A change that returns an error is dropped and its caller gets the error;
// the transaction is retried without it, as DB.Batch does. Changes must
// therefore be safe to run more than once.
type groupCommit struct {
	mu      sync.Mutex
	pending []*change1
	leading bool
}

type change1 struct {
	fn   func(*bolt.Tx) error
	err  error
	done chan struct{}
}

// update runs fn in a group-committed transaction and returns when that
// transaction is durable (or fn failed).
func (q *Queue) update(fn func(*bolt.Tx) error) error {
	c := &change1{fn: fn, done: make(chan struct{})}
	g := &q.group
	g.mu.Lock()
	g.pending = append(g.pending, c)
	if g.leading {
		g.mu.Unlock()
		<-c.done
		return c.err
	}
	g.leading = true
	for len(g.pending) > 0 {
		batch := g.pending
		g.pending = nil
		g.mu.Unlock()
		q.commitBatch(batch)
		g.mu.Lock()
	}
	g.leading = false
	g.mu.Unlock()
	<-c.done
	return c.err
}

// commitBatch applies batch in one transaction, dropping failing changes.
func (q *Queue) commitBatch(batch []*change1) {
	for len(batch) > 0 {
		failed := -1
		err := q.db.Update(func(tx *bolt.Tx) error {
			for i, c := range batch {
				if err := safeCall(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			batch[failed].err = err
			close(batch[failed].done)
			batch = append(batch[:failed:failed], batch[failed+1:]...)
			continue
		}
		for _, c := range batch {
			c.err = err // nil, or the commit's error for everyone
			close(c.done)
		}
		return
	}
}

// safeCall turns a panic in a change into its error, so one bad change
// cannot leave the others waiting forever.
func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("queue: panic in database change: %v", p)
		}
	}()
	return fn(tx)
}
