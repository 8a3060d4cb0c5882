package policy

// State is what the engine remembers between calls: rate buckets and
// counters (in a RateStore), failed-login throttling, and error counts per
// connection. One State can serve the engines of successive config reloads,
// so a reload neither forgives a throttled attacker nor refills a
// compromised account's allowance. Safe for concurrent use.
type State struct {
	rates    RateStore
	throttle *throttle
	conns    *connState
}

// NewState returns a State counting in store; nil = in process memory
// (one node). A shared store (Redis) lets several nodes count together.
func NewState(store RateStore) *State {
	if store == nil {
		store = NewMemoryStore()
	}
	return &State{rates: store, throttle: newThrottle(), conns: newConnState()}
}
