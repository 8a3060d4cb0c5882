package dnsbl

import (
	"sync"
	"time"
)

// maxCacheEntries bounds memory: a busy gateway sees many client IPs, and
// each entry is a few hundred bytes, so 100,000 entries stay under ~30 MB.
const maxCacheEntries = 100_000

type entry struct {
	res     Result
	err     error
	expires time.Time
}

// cache maps a query name to its answer until the TTL runs out.
type cache struct {
	mu  sync.Mutex
	max int
	m   map[string]entry
}

func newCache(max int) *cache { return &cache{max: max, m: map[string]entry{}} }

func (c *cache) get(k string, now time.Time) (Result, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		return Result{}, nil, false
	}
	return e.res, e.err, true
}

func (c *cache) put(k string, res Result, err error, expires time.Time) {
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
	c.m[k] = entry{res: res, err: err, expires: expires}
}
