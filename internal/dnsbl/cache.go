package dnsbl

import (
	"sync"
	"time"
)

// maxCacheEntries bounds memory: a busy gateway sees many client IPs, and
// each entry is a few hundred bytes, so 100,000 entries stay under ~30 MB.
const maxCacheEntries = 100_000

type entry[V any] struct {
	res     V
	err     error
	expires time.Time
}

// cache maps a query name to its answer until the TTL runs out. V is a
// list look-up's Result or a record look-up's records.
type cache[V any] struct {
	mu  sync.Mutex
	max int
	m   map[string]entry[V]
}

func newCache[V any](max int) *cache[V] { return &cache[V]{max: max, m: map[string]entry[V]{}} }

func (c *cache[V]) get(k string, now time.Time) (V, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		var zero V
		return zero, nil, false
	}
	return e.res, e.err, true
}

func (c *cache[V]) put(k string, res V, err error, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		now := time.Now()
		for k, e := range c.m { // drop expired entries first
			if now.After(e.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m { // still full: drop arbitrary entries
			if len(c.m) < c.max*9/10 {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[k] = entry[V]{res: res, err: err, expires: expires}
}
