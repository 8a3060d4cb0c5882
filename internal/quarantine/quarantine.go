// Package quarantine keeps messages aside instead of delivering them, and
// lets an admin look at them, release them into the queue, or delete them.
//
// The message bytes stay where the spool put them (immutable, under their
// queue ID); the quarantine is an index of small JSON records beside them,
// one file per message, written durably with spool.WriteFile.
//
// # Layout
//
//	<dir>/<ID>.json   Entry: envelope, reason, score, the header prefix
package quarantine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"mailwall/internal/queue"
	"mailwall/internal/spool"
)

// Entry is one quarantined message.
type Entry struct {
	ID      string    `json:"id"`
	From    string    `json:"from"`
	Rcpts   []string  `json:"rcpts"`
	Hops    []string  `json:"hops"` // next hop per recipient, for release
	Reason  string    `json:"reason"`
	Detail  string    `json:"detail,omitempty"`
	Score   float64   `json:"score"`
	Size    int64     `json:"size"`
	Subject string    `json:"subject,omitempty"`
	Time    time.Time `json:"time"`
	Prefix  []byte    `json:"prefix"` // header lines to prepend on release
}

// Store is the quarantine index over a spool. Safe for concurrent use
// (each entry is its own file, written atomically).
type Store struct {
	dir   string
	spool *spool.Spool
}

// ErrNotFound: no quarantined message has that ID.
var ErrNotFound = errors.New("quarantine: no such message")

// Open opens (creating) the quarantine index in dir.
func Open(dir string, sp *spool.Spool) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	return &Store{dir: dir, spool: sp}, nil
}

func (s *Store) path(id string) (string, error) {
	if !spool.ValidID(id) {
		return "", fmt.Errorf("quarantine: %q is not a message ID", id)
	}
	return filepath.Join(s.dir, id+".json"), nil
}

// Put records e durably. The message must already be committed in the
// spool under e.ID.
func (s *Store) Put(e Entry) error {
	p, err := s.path(e.ID)
	if err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return spool.WriteFile(p, b, 0o640)
}

// Get returns one entry.
func (s *Store) Get(id string) (Entry, error) {
	var e Entry
	p, err := s.path(id)
	if err != nil {
		return e, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return e, ErrNotFound
	}
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("quarantine %s: damaged record: %w", id, err)
	}
	return e, nil
}

// List returns every entry, newest first. Damaged records are skipped and
// reported in the error (the rest is still returned).
func (s *Store) List() ([]Entry, error) {
	names, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []Entry
	var bad []string
	for _, n := range names {
		id, ok := strings.CutSuffix(n.Name(), ".json")
		if !ok || !spool.ValidID(id) {
			continue
		}
		e, err := s.Get(id)
		if err != nil {
			bad = append(bad, id)
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	if len(bad) > 0 {
		return out, fmt.Errorf("quarantine: damaged records: %s", strings.Join(bad, ", "))
	}
	return out, nil
}

// Delete removes the entry and the message.
func (s *Store) Delete(id string) error {
	p, err := s.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); errors.Is(err, os.ErrNotExist) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	if err := s.spool.Remove(id); err != nil && !errors.Is(err, spool.ErrNotFound) {
		return err
	}
	return nil
}

// Forget removes the entry only, leaving the message in the spool (after a
// release hands it to the queue).
func (s *Store) Forget(id string) error {
	p, err := s.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); errors.Is(err, os.ErrNotExist) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	return nil
}

// Expire deletes entries older than maxAge; it returns how many.
func (s *Store) Expire(maxAge time.Duration, now time.Time) (int, error) {
	list, err := s.List()
	n := 0
	for _, e := range list {
		if now.Sub(e.Time) > maxAge {
			if derr := s.Delete(e.ID); derr == nil {
				n++
			}
		}
	}
	return n, err
}

// Enqueuer takes a message into the delivery queue (*queue.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, id string, prefix []byte, from string, rcpts []queue.Recipient) error
}

// Release hands a quarantined message to the queue for its original
// recipients, then drops the entry. The queue owns the message from then on.
func (s *Store) Release(ctx context.Context, id string, q Enqueuer) (Entry, error) {
	e, err := s.Get(id)
	if err != nil {
		return e, err
	}
	rcpts := make([]queue.Recipient, len(e.Rcpts))
	for i, r := range e.Rcpts {
		hop := "mx"
		if i < len(e.Hops) && e.Hops[i] != "" {
			hop = e.Hops[i]
		}
		rcpts[i] = queue.Recipient{Addr: r, NextHop: hop}
	}
	if err := q.Enqueue(ctx, id, e.Prefix, e.From, rcpts); err != nil {
		return e, fmt.Errorf("release %s: %w", id, err)
	}
	return e, s.Forget(id)
}
