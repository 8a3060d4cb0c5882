// Package store is the shared state of mailwall: Bayes token counts,
// rate-limit counters, greylist entries and similar small records that
// every node of a site must see alike.
//
// One node keeps them in an embedded bbolt file; several nodes share a Redis
// server (DESIGN.md "State and scale"). Both implement Store with the same
// observable behaviour, so callers never know which one they talk to.
//
// # Data model
//
// A flat key space of byte strings. Callers namespace their keys with a
// prefix ("bayes:", "rl:", "grey:"). A value is either opaque bytes (Put,
// Get) or a counter: a signed 64-bit integer kept as its decimal ASCII
// form, as Redis does for INCRBY, so Get of a counter key returns "42" on
// both back ends. Any key may carry a time to live; an expired key reads as
// absent.
//
// # Concurrency
//
// A Store is safe for concurrent use by many goroutines (and, for Redis, by
// many processes). Single-key operations are atomic. IncrBatch is atomic per
// key, not across keys: a reader may see some of a batch's increments and
// not others.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Store is the small key/value contract the Bayes DB, rate limits and the
// greylist need.
//
// Every method takes ctx first and returns early with ctx.Err() when the
// context ends before the back end answered. Byte slices passed in are not
// retained; byte slices returned belong to the caller.
type Store interface {
	// Get returns the value of key and true, or nil and false when key is
	// absent or expired.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	// Put sets key to val. ttl > 0 makes the key expire after ttl; ttl == 0
	// keeps it until deleted.
	Put(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Delete removes keys; absent keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// Incr adds delta to the counter at key (an absent key counts as 0) and
	// returns the new value. ttl > 0 sets the key's time to live when the
	// key is created by this call; an existing TTL is kept.
	Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error)
	// Counts returns the counters at keys, in order; absent keys read 0.
	Counts(ctx context.Context, keys []string) ([]int64, error)
	// IncrBatch adds each delta to its counter in one round trip (one
	// transaction for bbolt, one pipeline for Redis). A counter that falls
	// to 0 or below is deleted, so forgotten Bayes tokens do not pile up.
	IncrBatch(ctx context.Context, deltas map[string]int64) error
	// Close releases the back end. Calls after Close fail.
	Close() error
}

// ErrNotCounter is returned by Incr, Counts and IncrBatch when a key holds a
// value that is not a decimal integer.
var ErrNotCounter = errors.New("store: value is not a counter")

// Open opens the store named by url:
//
//	bbolt:///var/lib/mailwall/state.db   embedded file (created if missing)
//	/var/lib/mailwall/state.db           the same, as a plain path
//	redis://[:password@]host:port/db     a Redis server (go-redis URL syntax)
//	rediss://...                         the same over TLS
func Open(url string) (Store, error) {
	switch {
	case strings.HasPrefix(url, "redis://"), strings.HasPrefix(url, "rediss://"):
		return nonNil(OpenRedis(url))
	case strings.HasPrefix(url, "bbolt://"):
		return nonNil(OpenBolt(strings.TrimPrefix(url, "bbolt://")))
	case strings.Contains(url, "://"):
		return nil, fmt.Errorf("store: unknown scheme in %q (want bbolt:// or redis://)", url)
	case url == "":
		return nil, errors.New("store: empty URL")
	default:
		return nonNil(OpenBolt(url))
	}
}

// nonNil keeps a typed nil pointer out of the returned interface.
func nonNil[S Store](s S, err error) (Store, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
