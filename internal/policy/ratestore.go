package policy

import (
	"context"
	"sync"
	"time"
)

// RateStore keeps the counters behind connection rates and rate limits.
// The in-memory store serves one node; a shared store (Redis) lets several
// nodes count together. Methods are called concurrently and must be
// atomic per key; keys are short ASCII strings ("user:alice@example.test").
type RateStore interface {
	// Take removes one token from the bucket key, which holds at most r.N
	// tokens and refills at r.N per r.Per; false when the bucket is empty.
	Take(ctx context.Context, key string, r Rate, now time.Time) (bool, error)
	// Incr adds n to counter key and returns the new value. The key may be
	// dropped ttl after its creation (callers put the period in the key).
	Incr(ctx context.Context, key string, n int, ttl time.Duration) (int, error)
	// AddMembers adds members to set key (dropped ttl after creation) and
	// returns its size; the set may stop growing past limit+1.
	AddMembers(ctx context.Context, key string, members []string, limit int, ttl time.Duration) (int, error)
}

// MemoryStore is a RateStore in process memory.
type MemoryStore struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	counts  map[string]*counter
	sets    map[string]*set
	ops     int
}

type bucket struct {
	tokens float64
	last   time.Time
	idle   time.Time // full again by then; may be dropped
}

type counter struct {
	n       int
	expires time.Time
}

type set struct {
	m       map[string]struct{}
	expires time.Time
}

var _ RateStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{buckets: map[string]*bucket{}, counts: map[string]*counter{}, sets: map[string]*set{}}
}

// sweepEvery: expired entries are dropped every this many operations, so
// memory follows the number of active keys.
const sweepEvery = 4096

// Take implements RateStore.
func (s *MemoryStore) Take(_ context.Context, key string, r Rate, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maybeSweep(&now)
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(r.N), last: now}
		s.buckets[key] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(float64(r.N), b.tokens+el.Seconds()*float64(r.N)/r.Per.Seconds())
		b.last = now
	}
	ok := b.tokens >= 1
	if ok {
		b.tokens--
	}
	b.idle = now.Add(time.Duration((float64(r.N) - b.tokens) / float64(r.N) * float64(r.Per)))
	return ok, nil
}

// Incr implements RateStore.
func (s *MemoryStore) Incr(_ context.Context, key string, n int, ttl time.Duration) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maybeSweep(nil)
	c := s.counts[key]
	if c == nil {
		c = &counter{expires: time.Now().Add(ttl)}
		s.counts[key] = c
	}
	c.n += n
	return c.n, nil
}

// AddMembers implements RateStore.
func (s *MemoryStore) AddMembers(_ context.Context, key string, members []string, limit int, ttl time.Duration) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maybeSweep(nil)
	st := s.sets[key]
	if st == nil {
		st = &set{m: map[string]struct{}{}, expires: time.Now().Add(ttl)}
		s.sets[key] = st
	}
	for _, m := range members {
		if len(st.m) > limit {
			break
		}
		st.m[m] = struct{}{}
	}
	return len(st.m), nil
}

// maybeSweep drops, every sweepEvery operations, buckets full again by
// the caller's clock (bucketsNow, when given) and counters and sets expired
// by the wall clock (their TTLs were set from it).
func (s *MemoryStore) maybeSweep(bucketsNow *time.Time) {
	s.ops++
	if s.ops%sweepEvery != 0 {
		return
	}
	if bucketsNow != nil {
		for k, b := range s.buckets {
			if bucketsNow.After(b.idle) {
				delete(s.buckets, k)
			}
		}
	}
	wall := time.Now()
	for k, c := range s.counts {
		if wall.After(c.expires) {
			delete(s.counts, k)
		}
	}
	for k, st := range s.sets {
		if wall.After(st.expires) {
			delete(s.sets, k)
		}
	}
}
