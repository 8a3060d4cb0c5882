package mime

import (
	"bufio"
	"errors"
	"io"
)

// lineBufSize is the read buffer. Lines longer than this come back in
// fragments; only the first fragment of a line can be a boundary or a header
// field start, so long lines cost no rescans.
const lineBufSize = 32 << 10

// lineReader yields the lines of a message with their offsets.
type lineReader struct {
	br  *bufio.Reader
	off int64 // offset of the next unread byte
	err error // first I/O error other than EOF

	mid     bool  // the last fragment did not end a line
	lastCR  bool  // the last fragment ended in CR (CRLF split across fragments)
	bareLF  bool  // saw a line ending in LF without CR
	termLen int64 // length of the line terminator of the last fragment (0, 1 or 2)

	// pushback: the last line handed out, returned again by next
	back                bool
	bLine               []byte
	bStart, bOff, bTerm int64
	bCont               bool
}

// line is one line or fragment of a long line.
type line struct {
	b     []byte // valid until the next call to next; includes the terminator
	start int64  // offset of b[0]
	cont  bool   // b continues a line (not at line start)
}

func (lr *lineReader) next() (line, bool) {
	if lr.back {
		lr.back = false
		lr.off, lr.termLen = lr.bOff, lr.bTerm
		return line{b: lr.bLine, start: lr.bStart, cont: lr.bCont}, true
	}
	if lr.err != nil {
		return line{}, false
	}
	b, err := lr.br.ReadSlice('\n')
	if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
		lr.err = err
		return line{}, false
	}
	if len(b) == 0 {
		return line{}, false
	}
	l := line{b: b, start: lr.off, cont: lr.mid}
	lr.off += int64(len(b))
	lr.termLen = 0
	if b[len(b)-1] == '\n' {
		lr.termLen = 1
		if len(b) >= 2 && b[len(b)-2] == '\r' {
			lr.termLen = 2
		} else if len(b) == 1 && lr.lastCR {
			lr.termLen = 2
		} else {
			lr.bareLF = true
		}
		lr.mid = false
	} else {
		lr.mid = true
	}
	lr.lastCR = b[len(b)-1] == '\r'
	lr.bLine, lr.bStart, lr.bOff, lr.bTerm, lr.bCont = l.b, l.start, lr.off, lr.termLen, l.cont
	return l, true
}

// unread makes next return the last line again. It must be called before
// any other read.
func (lr *lineReader) unread(l line) {
	lr.back = true
	lr.off = l.start
}

// readErr returns the I/O error that stopped reading, if any.
func (lr *lineReader) readErr() error {
	if lr.err != nil && !errors.Is(lr.err, io.EOF) {
		return lr.err
	}
	return nil
}

// trimEOL strips a trailing LF or CRLF.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n > 1 && b[n-2] == '\r' {
			b = b[:n-2]
		}
	}
	return b
}
