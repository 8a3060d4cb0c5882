package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	bolt "go.etcd.io/bbolt"

	"mailwall/internal/spool"
)

// castagnoli is CRC-32C, computed in hardware on amd64 and arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrExists means a record for the ID is already queued.
var ErrExists = errors.New("queue: message already queued")

// Enqueue records a committed spool message for delivery to rcpts and
// returns once the record is durable. prefix holds the header lines we add
// (CRLF-terminated); it is sent before the spooled bytes. from is the
// envelope sender, "" for the null sender <>.
func (q *Queue) Enqueue(ctx context.Context, id string, prefix []byte, from string, rcpts []Recipient) error {
	return q.EnqueueWrapped(ctx, id, prefix, nil, from, rcpts)
}

// EnqueueWrapped is Enqueue with a suffix sent after the spooled bytes:
// prefix + message + suffix is a new message around the unchanged
// original (SpamAssassin's report_safe).
func (q *Queue) EnqueueWrapped(ctx context.Context, id string, prefix, suffix []byte, from string, rcpts []Recipient) error {
	return q.EnqueueEdited(ctx, id, Edit{Prefix: prefix, Suffix: suffix}, from, rcpts)
}

// EnqueueEdited is Enqueue with the message delivered as e says (see
// "Edits"): it fails, recording nothing, when e.Skip does not fit the
// spooled message.
func (q *Queue) EnqueueEdited(ctx context.Context, id string, e Edit, from string, rcpts []Recipient) error {
	if len(rcpts) == 0 {
		return fmt.Errorf("queue: enqueue %s: no recipients", id)
	}
	if err := checkArgs(from, rcpts); err != nil {
		return fmt.Errorf("queue: enqueue %s: %w", id, err)
	}
	size, crc, err := q.checksum(id)
	if err != nil {
		return fmt.Errorf("queue: enqueue %s: %w", id, err)
	}
	if err := checkSkip(e.Skip, size); err != nil {
		return fmt.Errorf("queue: enqueue %s: %w", id, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("queue: enqueue %s: %w", id, err)
	}
	now := q.cfg.Now()
	r := &record{V: recordVersion, ID: id, From: from, Prefix: e.Prefix, Suffix: e.Suffix, Skip: e.Skip,
		Size: size, CRC: crc, Arrived: now}
	for _, rc := range rcpts {
		r.Rcpts = append(r.Rcpts, rcptRec{Addr: rc.Addr, NextHop: rc.NextHop, State: statePending, Next: now})
	}
	enc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("queue: enqueue %s: %w", id, err)
	}
	err = q.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMsgs)
		if b.Get([]byte(id)) != nil {
			return ErrExists
		}
		return b.Put([]byte(id), enc)
	})
	if err != nil {
		return fmt.Errorf("queue: enqueue %s: %w", id, err)
	}
	q.mu.Lock()
	q.add(r)
	q.mu.Unlock()
	q.poke()
	return nil
}

// checkArgs refuses what could never be sent: addresses with CR, LF or NUL,
// and recipients without an address or next hop.
func checkArgs(from string, rcpts []Recipient) error {
	if strings.ContainsAny(from, "\r\n\x00") {
		return fmt.Errorf("sender %q contains CR, LF or NUL", from)
	}
	for _, rc := range rcpts {
		if rc.Addr == "" || rc.NextHop == "" || strings.ContainsAny(rc.Addr+rc.NextHop, "\r\n\x00") {
			return fmt.Errorf("invalid recipient %q via %q", rc.Addr, rc.NextHop)
		}
	}
	return nil
}

// checksum returns the size and CRC-32C of spool message id.
func (q *Queue) checksum(id string) (int64, uint32, error) {
	m, err := q.sp.Open(id)
	if err != nil {
		return 0, 0, err
	}
	defer m.Close()
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, io.NewSectionReader(m, 0, m.Size()))
	if err != nil {
		return 0, 0, fmt.Errorf("read %s: %w", id, err)
	}
	return n, h.Sum32(), nil
}

// errDamaged marks a spool file that does not match its record.
var errDamaged = errors.New("spool file damaged")

// verify opens the spool message of r and checks it against the record's
// size and checksum.
func (q *Queue) verify(r *record) (*spool.Message, error) {
	m, err := q.sp.Open(r.ID)
	if errors.Is(err, spool.ErrNotFound) {
		return nil, fmt.Errorf("%w: missing", errDamaged)
	}
	if err != nil {
		return nil, err
	}
	if m.Size() != r.Size {
		m.Close()
		return nil, fmt.Errorf("%w: size %d, recorded %d", errDamaged, m.Size(), r.Size)
	}
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, io.NewSectionReader(m, 0, m.Size())); err != nil {
		m.Close()
		return nil, fmt.Errorf("read %s: %w", r.ID, err)
	}
	if h.Sum32() != r.CRC {
		m.Close()
		return nil, fmt.Errorf("%w: checksum %08x, recorded %08x", errDamaged, h.Sum32(), r.CRC)
	}
	return m, nil
}
