package policy

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestMemoryStoreSweep: expired counters and idle buckets are dropped, so
// memory follows the active keys.
func TestMemoryStoreSweep(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	now := time.Now()
	for i := range sweepEvery {
		s.Take(ctx, fmt.Sprintf("b%d", i), Rate{N: 10, Per: time.Second}, now)
		s.Incr(ctx, fmt.Sprintf("c%d", i), 1, time.Nanosecond)
	}
	later := now.Add(time.Minute)
	for range sweepEvery {
		s.Take(ctx, "live", Rate{N: 10, Per: time.Second}, later)
	}
	if len(s.buckets) > 1 || len(s.counts) > 0 {
		t.Errorf("after sweep: %d buckets, %d counters", len(s.buckets), len(s.counts))
	}
}
