package deliver

import (
	"bytes"
	"io"
)

// eolWriter rewrites every line ending — CRLF, bare CR or bare LF — to eol
// on the way to w. A bare CR or LF is how SMTP smuggling hides a second
// message; after this writer neither can reach the next hop. Call Flush at
// the end: a CR held back (it might be the start of CRLF) is written then.
//
// With stuff set it also dot-stuffs (RFC 5321 4.5.2: a line starting with
// "." gets another "."), and Close ends the data with CRLF.CRLF, so that it
// produces a complete SMTP DATA section in one pass over the bytes.
type eolWriter struct {
	w         io.Writer
	eol       []byte
	stuff     bool
	bol       bool // at the beginning of a line
	pendingCR bool
	buf       []byte
}

func newEOLWriter(w io.Writer, eol string) *eolWriter {
	return &eolWriter{w: w, eol: []byte(eol), bol: true}
}

// newDotWriter returns an eolWriter producing SMTP DATA: CRLF line endings,
// dot-stuffed, terminated by Close.
func newDotWriter(w io.Writer) *eolWriter {
	e := newEOLWriter(w, "\r\n")
	e.stuff = true
	return e
}

func (e *eolWriter) Write(p []byte) (int, error) {
	n := len(p)
	out := e.buf[:0]
	for len(p) > 0 {
		if e.pendingCR {
			e.pendingCR = false
			out = append(out, e.eol...)
			e.bol = true
			if p[0] == '\n' {
				p = p[1:] // CRLF
				continue
			}
		}
		// Next line ending: search CR only before the next LF, so that
		// text without CR is not scanned again for every line.
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if j := bytes.IndexByte(seg, '\r'); j >= 0 {
			i, seg = j, p[:j]
		}
		if len(seg) > 0 {
			if e.stuff && e.bol && seg[0] == '.' {
				out = append(out, '.')
			}
			out = append(out, seg...)
			e.bol = false
		}
		if i < 0 {
			break
		}
		if p[i] == '\r' {
			e.pendingCR = true
		} else {
			out = append(out, e.eol...)
			e.bol = true
		}
		p = p[i+1:]
	}
	e.buf = out
	if _, err := e.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

// Flush writes a held-back final CR as a line ending.
func (e *eolWriter) Flush() error {
	if !e.pendingCR {
		return nil
	}
	e.pendingCR = false
	e.bol = true
	_, err := e.w.Write(e.eol)
	return err
}

// Close ends SMTP DATA (stuff mode): the last line gets its CRLF if it
// lacked one, then "." CRLF.
func (e *eolWriter) Close() error {
	if err := e.Flush(); err != nil {
		return err
	}
	end := ".\r\n"
	if !e.bol {
		end = "\r\n.\r\n"
	}
	_, err := io.WriteString(e.w, end)
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
