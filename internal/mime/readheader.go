package mime

import "bytes"

// # Header block (RFC 5322 2.2, 3.2.2)
//
// Fields are "name: value" lines; a line starting with space or tab
// continues the field before it (folding); an empty line ends the block.
// Unfolding removes the line breaks and keeps the white space. A line that is
// neither a field nor a continuation ends the block without an empty line
// (FlagMissingHeaderSeparator): like most clients, the body starts there.

// fieldSpan locates one field in the header buffer.
type fieldSpan struct{ name, val, end int }

// readHeader reads the header block of pt. ended reports that the block was
// cut short by a delimiter or the end of input, so the entity has no body;
// d is then what ended it.
func (p *parser) readHeader(pt *Part) (d delim, ended bool) {
	buf := p.hbuf[:0] // every field: name, then raw value
	spans := p.spans[:0]
	var prevTerm int64
	cur := -1 // index in spans of the open field, -1 if none
	nfields := 0
	closeField := func() {
		if cur >= 0 {
			spans[cur].end = len(buf)
			cur = -1
		}
	}
	for {
		l, ok := p.lr.next()
		if !ok {
			if nfields > 0 || p.lr.off > pt.HeaderStart {
				p.msg.flag(FlagTruncatedHeader)
			}
			d, ended = eof, true
			p.lastEnd = p.lr.off
			break
		}
		b := l.b
		if l.cont { // rest of a very long line
			if cur >= 0 {
				buf = appendField(p.msg, buf, spans[cur].val, trimEOL(b))
			}
			prevTerm = p.lr.termLen
			continue
		}
		if len(p.stack) > 0 && len(b) >= 2 && b[0] == '-' && b[1] == '-' {
			if dd, ok := p.matchDelim(b); ok {
				p.msg.flag(FlagTruncatedHeader)
				d, ended = dd, true
				p.lastEnd = max(l.start-prevTerm, pt.HeaderStart)
				break
			}
		}
		t := trimEOL(b)
		if len(t) == 0 { // the empty line
			break
		}
		if t[0] == ' ' || t[0] == '\t' {
			if nfields > 0 { // fields past MaxHeaders have cur < 0
				if cur >= 0 {
					buf = appendField(p.msg, buf, spans[cur].val, t)
				}
				prevTerm = p.lr.termLen
				continue
			}
		} else if colon := fieldName(t); colon > 0 {
			closeField()
			nfields++
			if nfields > p.lim.MaxHeaders {
				p.msg.flag(FlagHeaderLimit)
				prevTerm = p.lr.termLen
				continue
			}
			name := bytes.TrimRight(t[:colon], " \t")
			start := len(buf)
			buf = append(buf, name...)
			spans = append(spans, fieldSpan{name: start, val: len(buf)})
			cur = len(spans) - 1
			buf = appendField(p.msg, buf, len(buf), bytes.TrimLeft(t[colon+1:], " \t"))
			prevTerm = p.lr.termLen
			continue
		}
		p.msg.flag(FlagMissingHeaderSeparator)
		p.lr.unread(l)
		break
	}
	closeField()
	pt.Header = buildHeader(buf, spans)
	p.hbuf, p.spans = buf, spans // scratch, reused by the next part
	return d, ended
}

// fieldName returns the index of the colon ending a field name in t, or -1.
// RFC 5322 3.6.8: printable ASCII except colon; obsolete syntax (4.5) allows
// white space before the colon.
func fieldName(t []byte) int {
	for i, c := range t {
		switch {
		case c == ':':
			if i == 0 {
				return -1
			}
			return i
		case c == ' ' || c == '\t':
			rest := bytes.TrimLeft(t[i:], " \t")
			if i == 0 || len(rest) == 0 || rest[0] != ':' {
				return -1
			}
			return len(t) - len(rest)
		case c < 33 || c > 126:
			return -1
		}
	}
	return -1
}

// appendField appends a piece of a field value, checking its bytes and
// capping the field at maxFieldBytes from valStart.
func appendField(m *Message, buf []byte, valStart int, piece []byte) []byte {
	var or byte
	for _, c := range piece {
		or |= c
	}
	if or >= 0x80 {
		m.flag(Flag8BitHeader)
	}
	if bytes.IndexByte(piece, 0) >= 0 {
		m.flag(FlagNULInHeader)
	}
	if room := maxFieldBytes - (len(buf) - valStart); len(piece) > room {
		m.flag(FlagLongHeader)
		piece = piece[:max(room, 0)]
	}
	return append(buf, piece...)
}

// buildHeader makes the Header with one string allocation for the raw text.
func buildHeader(buf []byte, spans []fieldSpan) Header {
	if len(spans) == 0 {
		return nil
	}
	s := string(buf)
	h := make(Header, len(spans))
	for i, sp := range spans {
		raw := trimRightWS(s[sp.val:sp.end])
		h[i] = Field{Name: s[sp.name:sp.val], Raw: raw, Value: decodeValue(raw, "")}
	}
	return h
}

func trimRightWS(s string) string {
	i := len(s)
	for i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
		i--
	}
	return s[:i]
}
