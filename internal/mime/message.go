// Package mime parses a spooled RFC 5322 message once into a read-only view
// that every scanner shares concurrently: decoded headers, the part tree,
// decoded text, HTML rendered to text, attachments and URIs.
//
// A Message is immutable after Parse returns; every method is safe for
// concurrent use. Parsing never panics and is bounded by Limits, so a hostile
// message cannot make it quadratic or make it allocate without limit.
//
// # Reading model
//
// Parse makes one pass over the message through an io.ReaderAt and records
// offsets; it keeps the header fields but no body bytes. Bodies are read again
// from the ReaderAt on demand (Part.Raw, Part.Open), and decoded text is
// cached on first use (Part.Text, Message.Text, Message.URIs).
//
// # Ambiguity
//
// Mail clients disagree on malformed structure (RELIABILITY.md "MIME"). The
// parser picks one reading (the first Content-Type, the first parameter,
// strict RFC 2046 boundary lines) and raises a Flag for every place where
// another client could read the message differently; Message.Ambiguous
// reports whether any such flag is set, so the pipeline can refuse the
// message, and Message.Readings adds the other (lenient) reading so that
// scanners can look at both instead.
package mime

import (
	"io"
	"sync"
)

// Limits bound the work Parse does. Zero fields take the defaults.
type Limits struct {
	MaxDepth     int   // nesting of multiparts and message/rfc822; default 20, at most maxDepthCap
	MaxParts     int   // total parts; default 1000
	MaxHeaders   int   // header fields per part; default 1000
	MaxTextBytes int64 // decoded text kept per part for Text(); default 1 MiB
}

// Defaults for zero Limits fields.
const (
	DefaultMaxDepth     = 20
	DefaultMaxParts     = 1000
	DefaultMaxHeaders   = 1000
	DefaultMaxTextBytes = 1 << 20
)

// maxDepthCap bounds MaxDepth whatever the caller asks: the parser recurses
// once per level, and a deep enough message would exhaust the stack.
const maxDepthCap = 200

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	l.MaxDepth = min(l.MaxDepth, maxDepthCap)
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = DefaultMaxTextBytes
	}
	return l
}

// Field is one header field.
type Field struct {
	Name  string // as written, e.g. "Subject"
	Raw   string // unfolded raw value, without the leading space
	Value string // RFC 2047 decoded to UTF-8, charset converted
}

// Header is an ordered list of fields. Lookups are case-insensitive.
type Header []Field

// Part is one MIME entity. Offsets are into the message passed to Parse.
type Part struct {
	Header      Header
	MediaType   string            // lower-case "type/subtype"; "text/plain" by default
	Params      map[string]string // Content-Type parameters, lower-case keys, RFC 2231 decoded
	Charset     string            // lower-case, "" if none
	Encoding    string            // lower-case Content-Transfer-Encoding, "" = 7bit
	Disposition string            // "inline", "attachment" or ""
	Filename    string            // from Content-Disposition filename or Content-Type name
	Depth       int               // 0 for the root
	Children    []*Part
	HeaderStart int64 // offset of the first header line
	BodyStart   int64 // offset of the first body byte (after the blank line)
	BodyEnd     int64 // offset one past the last body byte

	// filled by the parser
	msg *Message
	idx int // index in msg.Parts and msg.cache
}

// Message is the parsed view of one message.
type Message struct {
	Header Header  // top-level header (same as Root.Header)
	Root   *Part   // the part tree
	Parts  []*Part // every part, depth-first, Root first
	Flags  []Flag  // anomalies seen while parsing
	Size   int64

	r   io.ReaderAt
	lim Limits

	cache     []partCache // one per part, same index as Parts
	textOnce  sync.Once
	text      string
	urisOnce  sync.Once
	uris      []string
	textParts []*Part
	attach    []*Part

	altOnce sync.Once
	alt     *Message
}

// partCache holds the lazily decoded text of one part.
type partCache struct {
	textOnce sync.Once
	text     string
	htmlOnce sync.Once
	rendered string
	links    []string
}

// ReaderAt returns the message bytes Parse read.
func (m *Message) ReaderAt() io.ReaderAt { return m.r }

// HasFlag reports whether the parser raised f.
func (m *Message) HasFlag(f Flag) bool {
	for _, g := range m.Flags {
		if g == f {
			return true
		}
	}
	return false
}

// Ambiguous reports whether the message has a structure that mail clients
// may read differently from this parser (see the package doc). A missing
// final boundary is not ambiguous: every reading runs the last part to the
// end of the message, which is what we scan.
func (m *Message) Ambiguous() bool {
	for _, f := range m.Flags {
		if f.Ambiguous() {
			return true
		}
	}
	return false
}

// Readings returns every reading of the message a scanner should look at:
// the message itself, and when it is Ambiguous also the lenient reading,
// which takes the last of repeated Content-Type, Content-Transfer-Encoding
// and parameters and matches boundaries as prefixes, as some clients do
// (RELIABILITY.md "MIME": scan every plausible reading or refuse). The
// lenient reading is parsed on first call and cached.
func (m *Message) Readings() []*Message {
	if !m.Ambiguous() {
		return []*Message{m}
	}
	m.altOnce.Do(func() {
		m.alt, _ = parse(m.r, m.Size, m.lim, true) // an I/O error leaves one reading
	})
	if m.alt == nil {
		return []*Message{m}
	}
	return []*Message{m, m.alt}
}

// TextParts returns the text/plain and text/html leaves a client shows in
// the body (all but those with disposition "attachment"), in message order.
func (m *Message) TextParts() []*Part { return m.textParts }

// Attachments returns the leaves that IsAttachment reports, in message order.
func (m *Message) Attachments() []*Part { return m.attach }

// IsMultipart reports whether the part has a multipart media type.
func (p *Part) IsMultipart() bool { return len(p.MediaType) > 10 && p.MediaType[:10] == "multipart/" }

// IsText reports whether the part has a text/* media type.
func (p *Part) IsText() bool { return len(p.MediaType) > 5 && p.MediaType[:5] == "text/" }

// IsAttachment reports whether the part is a leaf a mail client would show
// as an attachment: disposition "attachment", a file name, or a media type
// that is neither text nor a container.
func (p *Part) IsAttachment() bool {
	if len(p.Children) > 0 || p.IsMultipart() {
		return false
	}
	if p.Disposition == "attachment" || p.Filename != "" {
		return true
	}
	return !p.IsText()
}

// Message returns the message the part belongs to.
func (p *Part) Message() *Message { return p.msg }
