package deliver

import (
	"bytes"
	"io"
)

// eolWriter rewrites every line ending — CRLF, bare CR or bare LF — to eol
// on the way to w. A bare CR or LF is how SMTP smuggling hides a second
// message; after this writer neither can reach the next hop. Call Flush at
// the end: a CR held back (it might be the start of CRLF) is written then.
type eolWriter struct {
	w         io.Writer
	eol       []byte
	pendingCR bool
	buf       []byte
}

func newEOLWriter(w io.Writer, eol string) *eolWriter {
	return &eolWriter{w: w, eol: []byte(eol)}
}

func (e *eolWriter) Write(p []byte) (int, error) {
	out := e.buf[:0]
	for _, b := range p {
		if e.pendingCR {
			e.pendingCR = false
			out = append(out, e.eol...)
			if b == '\n' {
				continue // CRLF
			}
		}
		switch b {
		case '\r':
			e.pendingCR = true
		case '\n':
			out = append(out, e.eol...)
		default:
			out = append(out, b)
		}
	}
	e.buf = out
	if _, err := e.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held-back final CR as a line ending.
func (e *eolWriter) Flush() error {
	if !e.pendingCR {
		return nil
	}
	e.pendingCR = false
	_, err := e.w.Write(e.eol)
	return err
}

// eolReader is eolWriter as a reader: it yields r's bytes with every line
// ending rewritten to eol.
type eolReader struct {
	r     io.Reader
	out   bytes.Buffer
	ew    *eolWriter
	chunk []byte
	err   error
}

func newEOLReader(r io.Reader, eol string) *eolReader {
	e := &eolReader{r: r, chunk: make([]byte, 32<<10)}
	e.ew = newEOLWriter(&e.out, eol)
	return e
}

func (e *eolReader) Read(p []byte) (int, error) {
	for e.out.Len() == 0 && e.err == nil {
		n, err := e.r.Read(e.chunk)
		e.ew.Write(e.chunk[:n]) // writes to a bytes.Buffer cannot fail
		if err != nil {
			e.ew.Flush()
			e.err = err
		}
	}
	if e.out.Len() > 0 {
		return e.out.Read(p)
	}
	return 0, e.err
}
