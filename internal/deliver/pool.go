package deliver

import (
	"sync"
	"time"
)

// # Connection reuse
//
// After a transaction that left the connection in a clean state, the
// client is kept for a short while instead of sending QUIT, and the next
// delivery to the same address sends RSET and reuses it (as Postfix's
// connection cache does). It saves the connect, greeting, EHLO and TLS
// handshake per message. Limits follow Postfix: idle for at most
// poolIdle (smtp_connection_cache_time_limit 2s), at most poolMaxUses
// transactions per connection (smtp_connection_reuse_count_limit), at most
// poolPerAddr idle connections per address.
const (
	poolIdle    = 2 * time.Second
	poolMaxUses = 100
	poolPerAddr = 32
)

type pool struct {
	mu   sync.Mutex
	idle map[string][]*pooled
}

type pooled struct {
	c     *client
	timer *time.Timer
}

// get takes an idle connection for key, or nil.
func (p *pool) get(key string) *client {
	p.mu.Lock()
	defer p.mu.Unlock()
	for list := p.idle[key]; len(list) > 0; list = p.idle[key] {
		e := list[len(list)-1]
		p.idle[key] = list[:len(list)-1]
		if e.timer.Stop() { // false: the idle timer already closed it
			return e.c
		}
	}
	return nil
}

// put keeps c for reuse, or says QUIT and closes it when it may not be
// reused or the pool is full.
func (p *pool) put(key string, c *client) {
	c.uses++
	p.mu.Lock()
	if c.broken || c.uses >= poolMaxUses || len(p.idle[key]) >= poolPerAddr {
		p.mu.Unlock()
		if !c.broken {
			c.cmd("QUIT")
		}
		c.close()
		return
	}
	if p.idle == nil {
		p.idle = map[string][]*pooled{}
	}
	e := &pooled{c: c}
	e.timer = time.AfterFunc(poolIdle, func() { p.expire(key, e) })
	p.idle[key] = append(p.idle[key], e)
	p.mu.Unlock()
}

// expire drops e after its idle time and closes it.
func (p *pool) expire(key string, e *pooled) {
	p.mu.Lock()
	list := p.idle[key]
	for i, x := range list {
		if x == e {
			p.idle[key] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(p.idle[key]) == 0 {
		delete(p.idle, key)
	}
	p.mu.Unlock()
	e.c.cmd("QUIT")
	e.c.close()
}

// closeAll says QUIT on every idle connection and closes it.
func (p *pool) closeAll() {
	p.mu.Lock()
	var all []*pooled
	for _, list := range p.idle {
		all = append(all, list...)
	}
	p.idle = nil
	p.mu.Unlock()
	for _, e := range all {
		if e.timer.Stop() {
			e.c.cmd("QUIT")
			e.c.close()
		}
	}
}
