package clamd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// errStreamLimit is returned by a chunkReader past StreamMaxLength.
var errStreamLimit = errors.New("clamd: INSTREAM size limit exceeded")

// chunkReader decodes INSTREAM chunks (4-byte big-endian length, data; a
// zero length ends the stream) so the scanner reads the stream as it comes,
// without a copy of it in memory or on disk.
type chunkReader struct {
	r       *bufio.Reader
	c       net.Conn
	timeout time.Duration
	max     int64
	total   int64
	left    uint32 // bytes left in the current chunk
	err     error  // sticky: io.EOF after the zero chunk, or the failure
}

func (cr *chunkReader) Read(p []byte) (int, error) {
	if cr.err != nil {
		return 0, cr.err
	}
	if cr.left == 0 {
		if err := cr.next(); err != nil {
			cr.err = err
			return 0, err
		}
	}
	if uint32(len(p)) > cr.left {
		p = p[:cr.left]
	}
	n, err := cr.r.Read(p)
	cr.left -= uint32(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		cr.err = fmt.Errorf("read INSTREAM chunk: %w", err)
		return n, cr.err
	}
	return n, nil
}

// next reads the next chunk header.
func (cr *chunkReader) next() error {
	var hdr [4]byte
	_ = cr.c.SetReadDeadline(time.Now().Add(cr.timeout))
	if _, err := io.ReadFull(cr.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read INSTREAM chunk length: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 {
		return io.EOF
	}
	// QUIRK: clamd refuses as soon as a chunk's announced length would take
	// the stream past the limit, before reading the chunk.
	if cr.total+int64(n) > cr.max {
		return errStreamLimit
	}
	cr.total += int64(n)
	cr.left = n
	return nil
}

// drain discards the rest of the stream so the session stays in step.
func (cr *chunkReader) drain() error {
	var buf [32 << 10]byte
	for {
		_, err := cr.Read(buf[:])
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readStream reads a whole INSTREAM into memory (at most StreamMaxLength
// bytes) for a background scan.
func (h *handler) readStream() ([]byte, error) {
	cr := &chunkReader{r: h.r, c: h.c, timeout: h.s.opt.ReadTimeout, max: h.s.opt.StreamMaxLength}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(cr)
	return buf.Bytes(), err
}

// instream serves INSTREAM and reports whether the connection may go on.
func (h *handler) instream(ctx context.Context, f Framing) bool {
	cr := &chunkReader{r: h.r, c: h.c, timeout: h.s.opt.ReadTimeout, max: h.s.opt.StreamMaxLength}
	names, err := h.s.scanner.ScanReader(ctx, cr)
	h.s.scanned.Add(1)
	if derr := cr.drain(); derr != nil {
		if errors.Is(derr, errStreamLimit) {
			h.reply(f, replyStreamLimit)
		}
		// Any other failure is the client's connection: nobody to answer.
		return false
	}
	for _, line := range result("stream", names, err) {
		h.reply(f, line)
	}
	return true
}
