package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the Store shared by several nodes, over one Redis server.
//
// Counters map to Redis strings changed with INCRBY, so they read back as
// decimal ASCII exactly as the embedded store's do.
type Redis struct {
	c *redis.Client
}

var _ Store = (*Redis)(nil)

// OpenRedis connects to the server named by a go-redis URL
// (redis://[:password@]host:port/db) and checks it answers PING.
func OpenRedis(url string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), opt.DialTimeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("store: redis %s: %w", opt.Addr, err)
	}
	return &Redis{c: c}, nil
}

// Get implements Store.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := r.c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: get: %w", err)
	}
	return v, true, nil
}

// Put implements Store.
func (r *Redis) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if ttl < 0 {
		ttl = 0
	}
	if err := r.c.Set(ctx, key, val, ttl).Err(); err != nil {
		return fmt.Errorf("store: put: %w", err)
	}
	return nil
}

// Delete implements Store.
func (r *Redis) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	if err := r.c.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	return nil
}

// Incr implements Store. The TTL is set only on the INCRBY that created the
// key (the result equals delta and the key had no TTL), matching Bolt.
func (r *Redis) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	n, err := r.c.IncrBy(ctx, key, delta).Result()
	if err != nil {
		return 0, redisCounterErr(key, err)
	}
	if ttl > 0 && n == delta {
		// NX: do not shorten or extend a TTL an earlier call set.
		if err := r.c.ExpireNX(ctx, key, ttl).Err(); err != nil {
			return n, fmt.Errorf("store: expire %s: %w", key, err)
		}
	}
	return n, nil
}

// Counts implements Store with one MGET.
func (r *Redis) Counts(ctx context.Context, keys []string) ([]int64, error) {
	out := make([]int64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	vals, err := r.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("store: mget: %w", err)
	}
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // nil: absent
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", keys[i], ErrNotCounter)
		}
		out[i] = n
	}
	return out, nil
}

// IncrBatch implements Store with one pipeline of INCRBY and a second one
// deleting the counters that fell to 0 or below.
//
// QUIRK: between the two pipelines another node may increment a counter
// this call is about to delete; that increment is lost. Bayes counts are
// statistics, and SpamAssassin's own Redis back end accepts the same race.
func (r *Redis) IncrBatch(ctx context.Context, deltas map[string]int64) error {
	if len(deltas) == 0 {
		return nil
	}
	pipe := r.c.Pipeline()
	cmds := make(map[string]*redis.IntCmd, len(deltas))
	for k, d := range deltas {
		cmds[k] = pipe.IncrBy(ctx, k, d)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		for k, c := range cmds {
			if c.Err() != nil {
				return redisCounterErr(k, c.Err())
			}
		}
		return fmt.Errorf("store: incr batch: %w", err)
	}
	var drop []string
	for k, c := range cmds {
		if c.Val() <= 0 {
			drop = append(drop, k)
		}
	}
	return r.Delete(ctx, drop...)
}

func redisCounterErr(key string, err error) error {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return fmt.Errorf("store: %s: %w (%v)", key, ErrNotCounter, err)
	}
	return fmt.Errorf("store: incr %s: %w", key, err)
}

// Close implements Store.
func (r *Redis) Close() error { return r.c.Close() }
