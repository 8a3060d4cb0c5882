// Package spool keeps the immutable bytes of accepted messages on disk and is
// the one package in mailwall that knows how to write a file durably.
//
// # Directory layout
//
//	<dir>/tmp/<ID>      message being received; removed by Abort or on restart
//	<dir>/msg/<ID>      committed message, never modified afterwards
//	<dir>/corrupt/<ID>  message found damaged (size or checksum mismatch)
//
// # Durability
//
// A message is durable once Writer.Commit returns: the file was flushed and
// fsynced, renamed from tmp/ into msg/, and the msg/ directory fsynced so the
// new directory entry survives a power cut (the same steps Postfix and qmail
// take). Concurrent commits share directory fsyncs (group commit). RFC 5321 6.1 forbids losing a message after the 250 reply, so the
// SMTP layer replies 250 only after Commit (and the queue record) returned.
//
// The design assumes that rename(2) within one file system is atomic: after
// a crash a name refers either to the old file or to the complete new one,
// never to a partial file. tmp/ and msg/ are kept under one directory so they
// share a file system; a spool directory spanning mount points is not
// supported.
package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

// ErrDiskFull means the spool's file system has less free space than the
// configured minimum, or a write hit ENOSPC. The SMTP layer answers it with
// 452 4.3.1 (RFC 3463: mail system full).
var ErrDiskFull = errors.New("spool: insufficient disk space")

// ErrNotFound means no committed message has the given ID.
var ErrNotFound = errors.New("spool: message not found")

// Spool is a directory of committed messages. It is safe for concurrent use.
type Spool struct {
	dir     string
	minFree int64
	msgSync *dirSyncer // group commit of msg/ directory fsyncs
}

// Open opens (creating if needed) the spool directory dir. Create refuses new
// messages with ErrDiskFull while fewer than minFree bytes are free on its
// file system; minFree <= 0 disables the check. Leftover temp files from a
// previous run (messages never acknowledged) are removed.
func Open(dir string, minFree int64) (*Spool, error) {
	for _, sub := range []string{"tmp", "msg", "corrupt"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("spool: create %s: %w", sub, err)
		}
	}
	s := &Spool{dir: dir, minFree: minFree}
	s.msgSync = newDirSyncer(s.sub("msg"))
	ents, err := os.ReadDir(s.sub("tmp"))
	if err != nil {
		return nil, fmt.Errorf("spool: read tmp: %w", err)
	}
	for _, e := range ents {
		// Never acknowledged (no 250 was sent), so dropping it loses nothing.
		_ = os.Remove(filepath.Join(s.sub("tmp"), e.Name()))
	}
	return s, nil
}

// Dir returns the spool directory.
func (s *Spool) Dir() string { return s.dir }

func (s *Spool) sub(name string) string { return filepath.Join(s.dir, name) }

// freeBytes reports the bytes available to unprivileged users on the
// spool's file system.
func (s *Spool) freeBytes() (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.dir, &st); err != nil {
		return 0, fmt.Errorf("spool: statfs %s: %w", s.dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Message is a committed message opened read-only. It may be read
// concurrently through ReadAt.
type Message struct {
	f    *os.File
	size int64
}

// ReadAt implements io.ReaderAt.
func (m *Message) ReadAt(p []byte, off int64) (int, error) { return m.f.ReadAt(p, off) }

// Size returns the message length in bytes.
func (m *Message) Size() int64 { return m.size }

// Close releases the file.
func (m *Message) Close() error { return m.f.Close() }

// Open opens the committed message id. A missing message yields an error
// wrapping ErrNotFound.
func (s *Spool) Open(id string) (*Message, error) {
	if !validID(id) {
		return nil, fmt.Errorf("spool: open %q: %w", id, ErrNotFound)
	}
	f, err := os.Open(filepath.Join(s.sub("msg"), id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("spool: open %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("spool: open %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: stat %s: %w", id, err)
	}
	return &Message{f: f, size: fi.Size()}, nil
}

// Remove deletes the committed message id. Removing a missing message is
// not an error.
func (s *Spool) Remove(id string) error {
	if !validID(id) {
		return fmt.Errorf("spool: remove %q: invalid id", id)
	}
	err := os.Remove(filepath.Join(s.sub("msg"), id))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: remove %s: %w", id, err)
	}
	return nil
}

// MarkCorrupt moves message id from msg/ into corrupt/, where it is kept for
// inspection and never delivered. A missing message is not an error.
func (s *Spool) MarkCorrupt(id string) error {
	if !validID(id) {
		return fmt.Errorf("spool: mark corrupt %q: invalid id", id)
	}
	err := os.Rename(filepath.Join(s.sub("msg"), id), filepath.Join(s.sub("corrupt"), id))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: mark corrupt %s: %w", id, err)
	}
	return syncDir(s.sub("corrupt"))
}

// IDs lists the committed messages in ID (that is, arrival) order.
func (s *Spool) IDs() ([]string, error) {
	ents, err := os.ReadDir(s.sub("msg"))
	if err != nil {
		return nil, fmt.Errorf("spool: list: %w", err)
	}
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		if validID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// diskFull maps ENOSPC (and EDQUOT, a quota is a full disk to the user) to
// ErrDiskFull, keeping the cause.
func diskFull(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}

var _ io.ReaderAt = (*Message)(nil)
