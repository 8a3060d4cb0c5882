package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// # File format
//
// One bbolt file with one bucket, "kv". Each record's key is the store key;
// its value is an 8-byte big-endian expiry time in Unix nanoseconds (0 = no
// expiry) followed by the payload. Counters are payloads in decimal ASCII.
// Expired records are treated as absent when read and removed by Sweep or
// when next written.

var bucketKV = []byte("kv")

// expiryLen is the size of the expiry prefix of every record.
const expiryLen = 8

// Bolt is the embedded Store over one bbolt file.
type Bolt struct {
	db  *bolt.DB
	now func() time.Time // tests replace it to expire keys without sleeping
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (creating when missing) the bbolt file at path.
func OpenBolt(path string) (*Bolt, error) {
	// The timeout makes a second process fail cleanly instead of blocking
	// forever on bbolt's exclusive file lock.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketKV)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: init %s: %w", path, err)
	}
	return &Bolt{db: db, now: time.Now}, nil
}

// live returns the payload of a raw record, or false when it is expired or
// malformed.
func (b *Bolt) live(raw []byte) ([]byte, bool) {
	if len(raw) < expiryLen {
		return nil, false
	}
	exp := int64(binary.BigEndian.Uint64(raw))
	if exp != 0 && b.now().UnixNano() >= exp {
		return nil, false
	}
	return raw[expiryLen:], true
}

func (b *Bolt) encode(payload []byte, exp int64) []byte {
	rec := make([]byte, expiryLen+len(payload))
	binary.BigEndian.PutUint64(rec, uint64(exp))
	copy(rec[expiryLen:], payload)
	return rec
}

func (b *Bolt) expiry(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return b.now().Add(ttl).UnixNano()
}

// Get implements Store.
func (b *Bolt) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	var out []byte
	var ok bool
	err := b.db.View(func(tx *bolt.Tx) error {
		v, live := b.live(tx.Bucket(bucketKV).Get([]byte(key)))
		if live {
			out, ok = append([]byte(nil), v...), true
		}
		return nil
	})
	return out, ok, err
}

// Put implements Store.
func (b *Bolt) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKV).Put([]byte(key), b.encode(val, b.expiry(ttl)))
	})
}

// Delete implements Store.
func (b *Bolt) Delete(ctx context.Context, keys ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketKV)
		for _, k := range keys {
			if err := bk.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
}

// incr adds delta to key inside tx; it returns the new value.
func (b *Bolt) incr(bk *bolt.Bucket, key string, delta int64, ttl time.Duration, dropNonPositive bool) (int64, error) {
	k := []byte(key)
	var cur, exp int64
	if raw := bk.Get(k); raw != nil {
		if v, live := b.live(raw); live {
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", key, ErrNotCounter)
			}
			cur, exp = n, int64(binary.BigEndian.Uint64(raw))
		}
	}
	if cur == 0 && exp == 0 {
		exp = b.expiry(ttl)
	}
	next := cur + delta
	if dropNonPositive && next <= 0 {
		return next, bk.Delete(k)
	}
	return next, bk.Put(k, b.encode(strconv.AppendInt(nil, next, 10), exp))
}

// Incr implements Store.
func (b *Bolt) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := b.db.Update(func(tx *bolt.Tx) error {
		var err error
		n, err = b.incr(tx.Bucket(bucketKV), key, delta, ttl, false)
		return err
	})
	return n, err
}

// Counts implements Store.
func (b *Bolt) Counts(ctx context.Context, keys []string) ([]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]int64, len(keys))
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketKV)
		for i, k := range keys {
			v, live := b.live(bk.Get([]byte(k)))
			if !live {
				continue
			}
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return fmt.Errorf("%s: %w", k, ErrNotCounter)
			}
			out[i] = n
		}
		return nil
	})
	return out, err
}

// IncrBatch implements Store. The whole batch is one bbolt transaction.
func (b *Bolt) IncrBatch(ctx context.Context, deltas map[string]int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketKV)
		for k, d := range deltas {
			if _, err := b.incr(bk, k, d, 0, true); err != nil {
				return err
			}
		}
		return nil
	})
}

// Sweep deletes expired records and returns how many it removed. Redis
// expires keys by itself; the embedded store needs this called now and then.
func (b *Bolt) Sweep(ctx context.Context) (int, error) {
	n := 0
	err := b.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketKV).Cursor()
		for k, v := c.First(); k != nil; {
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, live := b.live(v); live {
				k, v = c.Next()
				continue
			}
			if err := c.Delete(); err != nil {
				return err
			}
			n++
			// QUIRK: calling Next after Cursor.Delete can skip a record
			// in bbolt; seeking back to the deleted key lands on its
			// successor whatever the cursor's state.
			k, v = c.Seek(k)
		}
		return nil
	})
	return n, err
}

// Close implements Store.
func (b *Bolt) Close() error { return b.db.Close() }
