package smtpd

import (
	"io"

	"mailwall/internal/smtp"
)

// lineEndings checks the DATA stream for bare CR and bare LF, the raw
// material of SMTP smuggling (SEC Consult 2023: "\n.\r\n", "\n.\n",
// "\r.\r\n" ...). go-smtp only ends DATA on <CRLF>.<CRLF>, so a bare
// form never ends the message; this reader makes sure it is not relayed
// either: in reject mode the message is refused with 550 5.5.2 once it has
// been read to its end; in normalize mode every bare CR or LF becomes CRLF.
//
// Input is what go-smtp's data reader yields: dot-unstuffed bytes ending
// with the CRLF before the final dot.
//
// QUIRK: go-smtp's data reader silently drops "." + CR when a line starts
// with them and no LF follows ("\r\n.\rX" reads as "\r\nX"), so that bare
// CR never reaches this reader; the connection spots the raw sequence
// (conn.sawHiddenCR) and hidden reports it here.
type lineEndings struct {
	r         io.Reader
	hidden    func() bool
	normalize bool
	cr        bool // previous byte was CR
	bad       bool
	buf       []byte // normalize mode: bytes ready to return
	in        []byte
	err       error
}

func newLineEndings(r io.Reader, normalize bool, hidden func() bool) *lineEndings {
	if hidden == nil {
		hidden = func() bool { return false }
	}
	return &lineEndings{r: r, normalize: normalize, hidden: hidden, in: make([]byte, 32<<10)}
}

func (l *lineEndings) Read(p []byte) (int, error) {
	if !l.normalize {
		return l.readCheck(p)
	}
	for len(l.buf) == 0 {
		if l.err != nil {
			return 0, l.err
		}
		n, err := l.r.Read(l.in)
		l.buf = l.fix(l.buf[:0], l.in[:n])
		if err != nil {
			l.err = err
			if err == io.EOF && l.cr {
				l.buf = append(l.buf, '\n')
				l.cr = false
			}
		}
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

// readCheck passes bytes through, noting bare line endings; at EOF it
// returns the refusal instead of io.EOF.
func (l *lineEndings) readCheck(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		switch {
		case c == '\n' && !l.cr:
			l.bad = true
		case c != '\n' && l.cr:
			l.bad = true
		}
		l.cr = c == '\r'
	}
	if err == io.EOF && (l.bad || l.cr || l.hidden()) {
		return n, smtp.ErrBareLF
	}
	return n, err
}

// fix appends src to dst with bare CR and bare LF turned into CRLF.
func (l *lineEndings) fix(dst, src []byte) []byte {
	for _, c := range src {
		switch {
		case c == '\n':
			if !l.cr {
				dst = append(dst, '\r')
			}
			dst = append(dst, '\n')
			l.cr = false
			continue
		case l.cr:
			dst = append(dst, '\n') // bare CR: complete it
		}
		dst = append(dst, c)
		l.cr = c == '\r'
	}
	return dst
}

// hiddenCR finds "\r\n.\r" followed by anything but "\n" in the raw byte
// stream, across reads. It is never legitimate: a line may not start with
// a dot and a bare CR.
type hiddenCR struct {
	tail  uint32 // last four bytes seen, oldest in the high byte
	found bool
}

// crlfDotCR is "\r\n.\r" as four bytes in a uint32.
const crlfDotCR = '\r'<<24 | '\n'<<16 | '.'<<8 | '\r'

func (h *hiddenCR) scan(p []byte) {
	t := h.tail
	for _, c := range p {
		if t == crlfDotCR && c != '\n' {
			h.found = true
		}
		t = t<<8 | uint32(c)
	}
	h.tail = t
}
