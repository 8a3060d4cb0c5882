package spool

import (
	"bufio"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// # Message IDs
//
// An ID is 12 bytes — 8 bytes of Unix time in nanoseconds, big-endian, then
// 4 random bytes — written in lower-case base32hex without padding: 20
// characters from [0-9a-v]. base32hex keeps byte order, so IDs sort by
// arrival time; they are safe as file names and in SMTP replies. The random
// tail makes IDs created in the same nanosecond differ, and Create opens the
// file with O_EXCL so a collision can never overwrite a message.
var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

const idLen = 20

func newID() string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixNano()))
	_, _ = rand.Read(b[8:]) // crypto/rand.Read never fails on Linux
	return idEncoding.EncodeToString(b[:])
}

// validID reports whether id has the shape newID produces, so that no ID
// taken from outside (CLI, web UI, queue record) can name another path.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'v') {
			return false
		}
	}
	return true
}

// ValidID reports whether id is a well-formed spool ID.
func ValidID(id string) bool { return validID(id) }

// bufSize is the write buffer: large enough that a typical message needs a
// single write(2), small enough that 1000 concurrent sessions stay cheap.
const bufSize = 64 << 10

// Writer receives one new message into tmp/. It is not safe for concurrent
// use. Exactly one of Commit or Abort must be called.
type Writer struct {
	s    *Spool
	id   string
	f    *os.File
	bw   *bufio.Writer
	err  error
	size int64
	done bool
}

// Create starts a new message with a fresh ID. It returns ErrDiskFull when
// the spool's file system has less than the configured minimum free space.
func (s *Spool) Create() (*Writer, error) {
	if s.minFree > 0 {
		free, err := s.freeBytes()
		if err != nil {
			return nil, err
		}
		if free < s.minFree {
			return nil, fmt.Errorf("%w: %d bytes free, %d required", ErrDiskFull, free, s.minFree)
		}
	}
	for range 5 { // a collision needs the same nanosecond and 32 random bits
		id := newID()
		f, err := os.OpenFile(filepath.Join(s.sub("tmp"), id), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("spool: create: %w", diskFull(err))
		}
		return &Writer{s: s, id: id, f: f, bw: bufio.NewWriterSize(f, bufSize)}, nil
	}
	return nil, errors.New("spool: create: could not find a free ID")
}

// ID returns the message's ID; it is final already before Commit.
func (w *Writer) ID() string { return w.id }

// Size returns the bytes written so far.
func (w *Writer) Size() int64 { return w.size }

// Write appends p to the message. After the first error every call fails
// with it; an ENOSPC error wraps ErrDiskFull.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.bw.Write(p)
	w.size += int64(n)
	if err != nil {
		w.err = fmt.Errorf("spool: write %s: %w", w.id, diskFull(err))
	}
	return n, w.err
}

// Commit makes the message durable: flush, fsync the file, rename it into
// msg/, fsync msg/. Only after Commit returned nil may anyone acknowledge the
// message. On error the temp file is removed and nothing was committed.
func (w *Writer) Commit() error {
	if w.done {
		return errors.New("spool: commit after commit or abort")
	}
	err := w.commit()
	if err != nil {
		w.Abort()
	}
	w.done = true
	return err
}

func (w *Writer) commit() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("spool: flush %s: %w", w.id, diskFull(err))
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("spool: fsync %s: %w", w.id, diskFull(err))
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("spool: close %s: %w", w.id, diskFull(err))
	}
	w.f = nil
	if err := os.Rename(filepath.Join(w.s.sub("tmp"), w.id), filepath.Join(w.s.sub("msg"), w.id)); err != nil {
		return fmt.Errorf("spool: rename %s: %w", w.id, err)
	}
	return w.s.msgSync.sync()
}

// Abort discards the message. It is safe to call after Commit (then it does
// nothing) and more than once.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	_ = os.Remove(filepath.Join(w.s.sub("tmp"), w.id))
}
