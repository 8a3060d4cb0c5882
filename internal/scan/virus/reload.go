package virus

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Current holds the engine set in use and swaps in a newly loaded one
// atomically: a scan that already called Get finishes on the old set,
// later scans get the new one. A failed load keeps the old set.
type Current[E any] struct {
	load func() (E, error)
	mu   sync.Mutex // one load at a time
	cur  atomic.Pointer[E]
}

// NewCurrent loads the first set with load, which Reload calls again.
func NewCurrent[E any](load func() (E, error)) (*Current[E], error) {
	c := &Current[E]{load: load}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Get returns the set in use.
func (c *Current[E]) Get() E { return *c.cur.Load() }

// Reload loads a new set and swaps it in; concurrent calls run one after
// the other.
func (c *Current[E]) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.load()
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	c.cur.Store(&e)
	return nil
}
