package mime

import "bytes"

// scanTo reads lines from the current position until a delimiter of an open
// multipart or the end of input. start is where the body being read begins;
// the returned end is where it ends (never before start). With b64 set it
// checks the lines against the base64 alphabet (FlagBadBase64).
func (p *parser) scanTo(start int64, b64 bool) (delim, int64) {
	prevTerm := p.lr.termLen // terminator length of the line before the current one
	var quanta int64         // base64 alphabet characters seen
	for {
		l, ok := p.lr.next()
		if !ok {
			break
		}
		if !l.cont && len(p.stack) > 0 && len(l.b) >= 2 && l.b[0] == '-' && l.b[1] == '-' {
			if d, ok := p.matchDelim(l.b); ok {
				p.lastEnd = max(l.start-prevTerm, start)
				if b64 && quanta%4 == 1 {
					p.msg.flag(FlagBadBase64)
				}
				return d, p.lastEnd
			}
		}
		if b64 {
			quanta += checkBase64(p.msg, l.b)
		}
		prevTerm = p.lr.termLen
	}
	if b64 && quanta%4 == 1 {
		p.msg.flag(FlagBadBase64)
	}
	p.lastEnd = max(p.lr.off, start)
	return eof, p.lastEnd
}

// matchDelim reports whether line (with its terminator) is a delimiter of an
// open boundary, innermost first. RFC 2046 5.1.1: "--" boundary, optional
// "--" for the close delimiter, then only linear white space. A line that
// starts with a boundary and goes on with other text is not a delimiter by
// the RFC but is one for some clients: FlagBoundaryPrefix; the lenient
// reading takes it as a delimiter.
func (p *parser) matchDelim(b []byte) (delim, bool) {
	b = trimEOL(b)[2:]
	for i := len(p.stack) - 1; i >= 0; i-- {
		bd := p.stack[i]
		if !bytes.HasPrefix(b, bd) {
			continue
		}
		rest := b[len(bd):]
		close := false
		if len(rest) >= 2 && rest[0] == '-' && rest[1] == '-' {
			close, rest = true, rest[2:]
		}
		if isLWSP(rest) || p.lenient {
			return delim{idx: i, close: close}, true
		}
		p.msg.flag(FlagBoundaryPrefix)
	}
	return delim{}, false
}

func isLWSP(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// b64alpha and b64invalid classify bytes for checkBase64: alphabet
// characters, and bytes that are neither alphabet, padding nor white space.
var b64alpha, b64invalid = func() (alpha, invalid [256]uint8) {
	for i := range invalid {
		invalid[i] = 1
	}
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		alpha[c], invalid[c] = 1, 0
	}
	for _, c := range []byte("= \t\r\n") {
		invalid[c] = 0
	}
	return alpha, invalid
}()

// checkBase64 flags characters outside the base64 alphabet and returns the
// number of alphabet characters in b. It has no branches per byte: it runs
// over every base64 body.
func checkBase64(m *Message, b []byte) int64 {
	var n int
	var bad uint8
	for _, c := range b {
		n += int(b64alpha[c])
		bad |= b64invalid[c]
	}
	if bad != 0 {
		m.flag(FlagBadBase64)
	}
	return int64(n)
}
