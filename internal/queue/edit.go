package queue

import (
	"bytes"
	"fmt"
	"io"
)

// # Edits
//
// The spooled message is never rewritten. What is delivered (and what a
// bounce quotes, and what List sizes) is the record's Prefix, then the
// spool file without the Skip ranges, then the Suffix. A skip range that
// is empty, out of order, overlapping or past the recorded size makes
// the record damaged: Enqueue refuses it, and a stored one is set aside
// with its spool file (never delivered, never lost) like any record that
// cannot be decoded.

// Range is Len bytes of a spooled message from offset Off.
type Range struct {
	Off int64 `json:"off"`
	Len int64 `json:"len"`
}

// Edit is how the delivered message differs from the spooled one.
type Edit struct {
	Prefix []byte // sent before the spooled bytes (header lines we add)
	Suffix []byte // sent after them (the close of a report_safe wrapping)
	// Skip are ranges of the spooled bytes left out, sorted by offset and
	// disjoint (the Subject fields a rewrite moved into Prefix).
	Skip []Range
}

// checkSkip reports a skip list that is not sorted, disjoint and within
// size, or has an empty range.
func checkSkip(skip []Range, size int64) error {
	end := int64(0)
	for _, s := range skip {
		// Off <= size-Len cannot overflow: Len > 0 and size >= 0
		if s.Off < end || s.Len <= 0 || s.Off > size-s.Len {
			return fmt.Errorf("skip range %d+%d: not sorted, disjoint and within %d bytes", s.Off, s.Len, size)
		}
		end = s.Off + s.Len
	}
	return nil
}

// message returns what is delivered for r from its spool file m: Prefix,
// the first Size bytes of m without the Skip ranges, Suffix. The ranges
// were checked when r was made or decoded.
func (r *record) message(m io.ReaderAt) io.Reader {
	parts := []io.Reader{bytes.NewReader(r.Prefix)}
	off := int64(0)
	for _, s := range r.Skip {
		if s.Off > off {
			parts = append(parts, io.NewSectionReader(m, off, s.Off-off))
		}
		off = s.Off + s.Len
	}
	parts = append(parts, io.NewSectionReader(m, off, r.Size-off), bytes.NewReader(r.Suffix))
	return io.MultiReader(parts...)
}

// length is the size of what message yields.
func (r *record) length() int64 {
	n := r.Size + int64(len(r.Prefix)+len(r.Suffix))
	for _, s := range r.Skip {
		n -= s.Len
	}
	return n
}
