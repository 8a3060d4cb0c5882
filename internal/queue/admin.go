package queue

import (
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Item describes one queued message for `mailwall queue list` and the web UI.
type Item struct {
	ID      string
	From    string
	Size    int64
	Arrived time.Time
	Rcpts   []ItemRcpt
}

// ItemRcpt is one recipient of an Item.
type ItemRcpt struct {
	Addr     string
	NextHop  string
	State    string // "pending", "sent" or "failed"
	Attempts int
	Next     time.Time // next attempt, for pending recipients
	Reply    string    // last reply or error
}

// List returns the queued messages, oldest first.
func (q *Queue) List() ([]Item, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := make([]Item, 0, len(q.msgs))
	for _, r := range q.msgs {
		it := Item{ID: r.ID, From: r.From, Size: r.length(), Arrived: r.Arrived}
		for _, rc := range r.Rcpts {
			it.Rcpts = append(it.Rcpts, ItemRcpt{
				Addr: rc.Addr, NextHop: rc.NextHop, State: rc.State,
				Attempts: rc.Attempts, Next: rc.Next, Reply: rc.Reply,
			})
		}
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b Item) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return items, nil
}

// Flush makes every pending recipient due now and wakes the delivery loop.
// The earlier retry times are not restored, and are not persisted.
func (q *Queue) Flush() {
	q.mu.Lock()
	now := q.cfg.Now()
	for _, r := range q.msgs {
		for i := range r.Rcpts {
			if r.Rcpts[i].State == statePending {
				r.Rcpts[i].Next = now
			}
		}
		q.schedule(r, now)
	}
	q.mu.Unlock()
	q.poke()
}

// Delete removes message id from the queue and the spool without
// delivering or bouncing it. An attempt in progress finishes but its
// outcome is dropped. It returns ErrUnknown if id is not queued.
func (q *Queue) Delete(id string) error {
	found := false
	err := q.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMsgs)
		found = b.Get([]byte(id)) != nil
		return b.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("queue: delete %s: %w", id, err)
	}
	q.mu.Lock()
	delete(q.msgs, id)
	q.mu.Unlock()
	if !found {
		return fmt.Errorf("queue: delete %s: %w", id, ErrUnknown)
	}
	if err := q.sp.Remove(id); err != nil {
		return fmt.Errorf("queue: delete %s: %w", id, err)
	}
	return nil
}
