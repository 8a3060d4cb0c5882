package queue

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// # Record format
//
// The bbolt database has two buckets. "msgs" maps a spool ID to the JSON
// encoding of record (version field "v": 1; the optional "suffix" and
// "skip" fields came later, and a record without them delivers the spool
// file whole); "corrupt" keeps records (or raw undecodable bytes) set
// aside as damaged, under the same key. A record
// is deleted when every recipient is sent or failed; the spool file is
// removed after that commit, so a crash in between leaves an orphan file,
// never a record without its message.
var (
	bucketMsgs    = []byte("msgs")
	bucketCorrupt = []byte("corrupt")
)

const recordVersion = 1

// Recipient states.
const (
	statePending = "pending"
	stateSent    = "sent"
	stateFailed  = "failed"
)

type record struct {
	V      int    `json:"v"`
	ID     string `json:"id"`
	From   string `json:"from"`
	Prefix []byte `json:"prefix,omitempty"` // header lines we add, CRLF-terminated
	// Suffix follows the spooled bytes (the close of a report_safe
	// wrapping); old records have none.
	Suffix []byte `json:"suffix,omitempty"`
	// Skip are ranges of the spool file that delivery leaves out (the
	// Subject fields a rewrite replaced by one in Prefix), sorted and
	// disjoint, within Size; old records have none.
	Skip    []Range   `json:"skip,omitempty"`
	Size    int64     `json:"size"`   // spool file length
	CRC     uint32    `json:"crc32c"` // CRC-32C (Castagnoli) of the spool file
	Arrived time.Time `json:"arrived"`
	Rcpts   []rcptRec `json:"rcpts"`
}

type rcptRec struct {
	Addr     string    `json:"addr"`
	NextHop  string    `json:"hop"`
	State    string    `json:"state"`
	Attempts int       `json:"attempts,omitempty"`
	Next     time.Time `json:"next"`
	Reply    string    `json:"reply,omitempty"`  // last reply or error
	Status   string    `json:"status,omitempty"` // last RFC 3463 code
}

func decodeRecord(key, b []byte) (*record, error) {
	r := new(record)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("decode record %q: %w", key, err)
	}
	if r.V != recordVersion || r.ID != string(key) || len(r.Rcpts) == 0 || r.Size < 0 {
		return nil, fmt.Errorf("decode record %q: invalid (version %d, id %q, %d recipients)", key, r.V, r.ID, len(r.Rcpts))
	}
	if err := checkSkip(r.Skip, r.Size); err != nil {
		return nil, fmt.Errorf("decode record %q: %w", key, err)
	}
	for _, rc := range r.Rcpts {
		if rc.State != statePending && rc.State != stateSent && rc.State != stateFailed {
			return nil, fmt.Errorf("decode record %q: recipient state %q", key, rc.State)
		}
	}
	return r, nil
}

// done reports whether no recipient is pending.
func (r *record) done() bool {
	for _, rc := range r.Rcpts {
		if rc.State == statePending {
			return false
		}
	}
	return true
}

func (r *record) clone() *record {
	c := *r
	c.Rcpts = append([]rcptRec(nil), r.Rcpts...)
	return &c
}

// groupKey is the unit of one delivery attempt and of the per-destination
// limit: the next hop, and for "mx" the recipient's domain too.
func groupKey(rc rcptRec) string {
	if rc.NextHop != "mx" {
		return rc.NextHop
	}
	dom := rc.Addr[strings.LastIndexByte(rc.Addr, '@')+1:]
	return "mx:" + strings.ToLower(dom)
}

// load reads every record into memory, setting undecodable ones aside.
func (q *Queue) load() error {
	var bad []string
	err := q.db.Update(func(tx *bolt.Tx) error {
		msgs, err := tx.CreateBucketIfNotExists(bucketMsgs)
		if err != nil {
			return err
		}
		corrupt, err := tx.CreateBucketIfNotExists(bucketCorrupt)
		if err != nil {
			return err
		}
		bad = bad[:0]
		clear(q.msgs)
		var badKeys [][]byte
		err = msgs.ForEach(func(k, v []byte) error {
			r, err := decodeRecord(k, v)
			if err != nil {
				q.log.Error("queue: damaged record set aside", "id", string(k), "err", err)
				badKeys = append(badKeys, append([]byte(nil), k...))
				return corrupt.Put(k, append([]byte(nil), v...))
			}
			q.add(r)
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range badKeys {
			if err := msgs.Delete(k); err != nil {
				return err
			}
			bad = append(bad, string(k))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: load: %w", err)
	}
	for _, id := range bad {
		if err := q.sp.MarkCorrupt(id); err != nil {
			q.log.Error("queue: set spool file aside", "id", id, "err", err)
		}
		q.events(Event{Kind: "corrupt", ID: id, Reply: "undecodable queue record"})
	}
	return nil
}

// change is what one attempt did to some recipients of one record: the new
// state of the recipient at each index.
type change map[int]rcptRec

func (c change) apply(r *record) {
	for i, rc := range c {
		if i < len(r.Rcpts) && r.Rcpts[i].Addr == rc.Addr {
			r.Rcpts[i] = rc
		}
	}
}

// persist applies c to the stored record of id (read-modify-write in one
// transaction, so concurrent attempts on other recipients of the same message
// are kept) and deletes the record when it is done. It reports whether the
// record was deleted; a record deleted meanwhile (queue delete) stays deleted.
func (q *Queue) persist(id string, c change) (finished bool, err error) {
	err = q.update(func(tx *bolt.Tx) error {
		finished = false
		b := tx.Bucket(bucketMsgs)
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		r, err := decodeRecord([]byte(id), v)
		if err != nil {
			return err
		}
		c.apply(r)
		if r.done() {
			finished = true
			return b.Delete([]byte(id))
		}
		enc, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), enc)
	})
	if err != nil {
		return false, fmt.Errorf("queue: update %s: %w", id, err)
	}
	return finished, nil
}

// setAside moves the record of id into the corrupt bucket.
func (q *Queue) setAside(id string) error {
	return q.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMsgs)
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		if err := tx.Bucket(bucketCorrupt).Put([]byte(id), append([]byte(nil), v...)); err != nil {
			return err
		}
		return b.Delete([]byte(id))
	})
}
