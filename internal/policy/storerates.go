package policy

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"mailwall/internal/store"
)

// StoreRates is a RateStore on the shared store (bbolt on one node, Redis
// for several), so every node counts against the same limits.
//
// QUIRK: the store offers atomic counters, not compare-and-swap, so Take
// is a sliding-window limiter rather than an exact token bucket: the count
// of the current window plus the previous window's count weighted by how
// much of it still overlaps (as Cloudflare and nginx-style limiters do).
// It allows the same long-run rate with a slightly different burst shape.
// Refused attempts count too, so a client hammering the limit stays
// limited. Keys carry the prefix "rl:".
type StoreRates struct {
	s store.Store
}

var _ RateStore = (*StoreRates)(nil)

// NewStoreRates counts in s; the caller keeps ownership of s.
func NewStoreRates(s store.Store) *StoreRates { return &StoreRates{s: s} }

// Take implements RateStore.
func (r *StoreRates) Take(ctx context.Context, key string, rate Rate, now time.Time) (bool, error) {
	w := int64(rate.Per)
	idx := now.UnixNano() / w
	base := "rl:w:" + key + ":"
	cur, err := r.s.Incr(ctx, base+strconv.FormatInt(idx, 10), 1, 2*rate.Per)
	if err != nil {
		return false, fmt.Errorf("rate window %s: %w", key, err)
	}
	prev, err := r.s.Counts(ctx, []string{base + strconv.FormatInt(idx-1, 10)})
	if err != nil {
		return false, fmt.Errorf("rate window %s: %w", key, err)
	}
	overlap := 1 - float64(now.UnixNano()%w)/float64(w)
	return float64(prev[0])*overlap+float64(cur) <= float64(rate.N), nil
}

// Incr implements RateStore.
func (r *StoreRates) Incr(ctx context.Context, key string, n int, ttl time.Duration) (int, error) {
	v, err := r.s.Incr(ctx, "rl:c:"+key, int64(n), max(ttl, time.Second))
	return int(v), err
}

// AddMembers implements RateStore: each member is a key of its own whose
// first Incr (value 1) adds one to the set's size, so a member is counted
// once even when several nodes see it at the same time.
func (r *StoreRates) AddMembers(ctx context.Context, key string, members []string, limit int, ttl time.Duration) (int, error) {
	ttl = max(ttl, time.Second) // 0 would mean "forever" to the store
	size := "rl:n:" + key
	for _, m := range members {
		first, err := r.s.Incr(ctx, "rl:m:"+key+":"+m, 1, ttl)
		if err != nil {
			return 0, fmt.Errorf("recipient set %s: %w", key, err)
		}
		if first == 1 {
			if _, err := r.s.Incr(ctx, size, 1, ttl); err != nil {
				return 0, fmt.Errorf("recipient set %s: %w", key, err)
			}
		}
	}
	n, err := r.s.Counts(ctx, []string{size})
	if err != nil {
		return 0, fmt.Errorf("recipient set %s: %w", key, err)
	}
	return int(n[0]), nil
}
