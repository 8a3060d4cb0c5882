package policy

import "runtime"

// State is what the engine remembers between calls: rate buckets and
// counters (in a RateStore), failed-login throttling, and error counts per
// connection. One State can serve the engines of successive config reloads,
// so a reload neither forgives a throttled attacker nor refills a
// compromised account's allowance. Safe for concurrent use.
type State struct {
	rates    RateStore
	throttle *throttle
	conns    *connState
	// hashSlots bounds concurrent password checks: a spray of logins on
	// many connections must not make each allocate argon2id's memory
	// (19 MiB by default) at once. Two per CPU keep the CPUs busy.
	hashSlots chan struct{}
}

// NewState returns a State counting in store; nil = in process memory
// (one node). A shared store (Redis) lets several nodes count together.
func NewState(store RateStore) *State {
	if store == nil {
		store = NewMemoryStore()
	}
	return &State{rates: store, throttle: newThrottle(), conns: newConnState(),
		hashSlots: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
}
