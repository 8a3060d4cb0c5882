package mime

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sync"
)

// # Structure (RFC 2046 5.1)
//
// A multipart body is: preamble, then for each part a delimiter line
// "--" boundary (transport padding: trailing spaces and tabs are allowed)
// followed by the part, then the close delimiter "--" boundary "--" and the
// epilogue. The line break before a delimiter belongs to the delimiter, so a
// part's BodyEnd is the start of that line break. A delimiter of any
// enclosing multipart also ends the current part (RFC 2046 5.1.2), so the
// parser keeps a stack of the open boundaries and checks each line that
// starts with "--" against it: O(depth) per such line, one pass in all.

// delim is what ended an entity: the stack index of the boundary seen
// (-1 at end of input) and whether it was a close delimiter.
type delim struct {
	idx   int
	close bool
}

var eof = delim{idx: -1}

type parser struct {
	lr     lineReader
	lim    Limits
	msg    *Message
	stack  [][]byte // open boundaries, outermost first
	nparts int
	// lastEnd is where the body read last ended: the start of the line
	// break before the delimiter that ended it, or the end of input.
	lastEnd int64
	// lenient selects the other reading of ambiguous structure: the last
	// of repeated fields and parameters, and boundaries matched as
	// prefixes (see Message.Readings).
	lenient bool
	// scratch space of readHeader
	hbuf  []byte
	spans []fieldSpan
}

// Parse reads the message of the given size from r once and returns its
// parsed view. Malformed input never fails: the parser reads it the way
// mail clients commonly do and raises Flags. The error is only for I/O
// errors of r.
func Parse(r io.ReaderAt, size int64, lim Limits) (*Message, error) {
	return parse(r, size, lim, false)
}

func parse(r io.ReaderAt, size int64, lim Limits, lenient bool) (*Message, error) {
	lim = lim.withDefaults()
	m := &Message{r: r, Size: size, lim: lim, Parts: make([]*Part, 0, 8)}
	p := parserPool.Get().(*parser)
	p.reset(io.NewSectionReader(r, 0, size), lim, m)
	p.lenient = lenient
	defer func() {
		p.msg = nil
		if cap(p.hbuf) > maxPooledScratch { // do not keep a hostile header's buffer alive
			p.hbuf, p.spans = nil, nil
		}
		clear(p.stack[:cap(p.stack)])
		parserPool.Put(p)
	}()
	root := p.newPart(0)
	p.skipMboxFrom()
	p.parseEntity(root, "text/plain")
	p.lr.br.Reset(nil) // drop the reference to r
	if err := p.lr.readErr(); err != nil {
		return nil, fmt.Errorf("mime: read message: %w", err)
	}
	if p.lr.bareLF {
		m.flag(FlagBareLF)
	}
	m.Root = root
	m.Header = root.Header
	if root.Header.Get("MIME-Version") == "" && hasContentFields(root.Header) {
		m.flag(FlagMissingMIMEVersion)
	}
	m.finish()
	return m, nil
}

// maxPooledScratch bounds the header scratch space a pooled parser keeps.
const maxPooledScratch = 256 << 10

// parserPool keeps parsers with their read buffer and scratch space.
var parserPool = sync.Pool{New: func() any {
	return &parser{lr: lineReader{br: bufio.NewReaderSize(nil, lineBufSize)}}
}}

// reset readies a pooled parser for a new message.
func (p *parser) reset(r io.Reader, lim Limits, m *Message) {
	br := p.lr.br
	br.Reset(r)
	p.lr = lineReader{br: br}
	p.lim, p.msg = lim, m
	p.lenient = false
	p.stack, p.nparts, p.lastEnd = p.stack[:0], 0, 0
}

// skipMboxFrom steps over a leading mbox "From " line.
func (p *parser) skipMboxFrom() {
	l, ok := p.lr.next()
	if !ok {
		return
	}
	if !bytes.HasPrefix(l.b, []byte("From ")) || fieldName(trimEOL(l.b)) > 0 { // "From : x" is a field
		p.lr.unread(l)
		return
	}
	for p.lr.mid { // the rest of a very long From line
		if _, ok := p.lr.next(); !ok {
			return
		}
	}
}

func (p *parser) newPart(depth int) *Part {
	pt := &Part{Depth: depth, msg: p.msg, idx: len(p.msg.Parts)}
	p.msg.Parts = append(p.msg.Parts, pt)
	p.nparts++
	return pt
}

func (m *Message) flag(f Flag) {
	if !m.HasFlag(f) {
		m.Flags = append(m.Flags, f)
	}
}

// parseEntity reads the header and body of pt from the current position and
// returns the delimiter that ended it.
func (p *parser) parseEntity(pt *Part, defaultType string) delim {
	pt.HeaderStart = p.lr.off
	d, ended := p.readHeader(pt)
	p.interpret(pt, defaultType)
	if ended { // end of input or a delimiter inside the header
		pt.BodyStart, pt.BodyEnd = p.lastEnd, p.lastEnd
		return d
	}
	pt.BodyStart = p.lr.off
	switch {
	case pt.IsMultipart() && pt.Params["boundary"] != "":
		if pt.Depth >= p.lim.MaxDepth {
			p.msg.flag(FlagDepthLimit)
			break
		}
		return p.parseMultipart(pt)
	case pt.IsMultipart():
		p.msg.flag(FlagMissingBoundary)
	case isMessageType(pt.MediaType) && isIdentity(pt.Encoding):
		if pt.Depth >= p.lim.MaxDepth {
			p.msg.flag(FlagDepthLimit)
			break
		}
		if p.nparts >= p.lim.MaxParts {
			p.msg.flag(FlagPartLimit)
			break
		}
		child := p.newPart(pt.Depth + 1)
		pt.Children = append(pt.Children, child)
		d := p.parseEntity(child, "text/plain")
		pt.BodyEnd = child.BodyEnd
		return d
	}
	d, end := p.scanTo(pt.BodyStart, pt.Encoding == "base64")
	pt.BodyEnd = end
	return d
}

// parseMultipart reads the preamble, the parts and the epilogue of pt.
func (p *parser) parseMultipart(pt *Part) delim {
	b := []byte(pt.Params["boundary"])
	for _, o := range p.stack {
		if bytes.HasPrefix(b, o) || bytes.HasPrefix(o, b) {
			p.msg.flag(FlagDuplicateBoundary)
		}
	}
	p.stack = append(p.stack, b)
	me := len(p.stack) - 1
	childType := "text/plain"
	if pt.MediaType == "multipart/digest" {
		childType = "message/rfc822" // RFC 2046 5.1.5
	}
	d, _ := p.scanTo(pt.BodyStart, false) // preamble
	for d.idx == me && !d.close {
		if p.nparts >= p.lim.MaxParts {
			p.msg.flag(FlagPartLimit)
			d, _ = p.scanTo(p.lr.off, false)
			continue
		}
		child := p.newPart(pt.Depth + 1)
		pt.Children = append(pt.Children, child)
		d = p.parseEntity(child, childType)
	}
	p.stack = p.stack[:me]
	if d.idx == me { // close delimiter: the epilogue runs to an outer delimiter
		// The line break after the close delimiter starts the epilogue
		// (RFC 2046 5.1.1), and may also be the one before an outer delimiter.
		d, pt.BodyEnd = p.scanTo(p.lr.off-p.lr.termLen, false)
		return d
	}
	p.msg.flag(FlagMissingFinalBoundary)
	pt.BodyEnd = max(p.lastEnd, pt.BodyStart)
	return d
}
