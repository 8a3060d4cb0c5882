// Package mime parses a spooled RFC 5322 message once into a read-only view
// that every scanner shares concurrently: decoded headers, the part tree,
// decoded text, HTML rendered to text, attachments and URIs.
//
// A Message is immutable after Parse returns; every method is safe for
// concurrent use. Parsing never panics and is bounded by Limits, so a hostile
// message cannot make it quadratic or make it allocate without limit.
package mime

import "io"

// Limits bound the work Parse does. Zero fields take the defaults.
type Limits struct {
	MaxDepth     int   // nesting of multiparts and message/rfc822; default 20
	MaxParts     int   // total parts; default 1000
	MaxHeaders   int   // header fields per part; default 1000
	MaxTextBytes int64 // decoded text kept per part for Text(); default 1 MiB
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
}

// Message is the parsed view of one message.
type Message struct {
	Header Header  // top-level header (same as Root.Header)
	Root   *Part   // the part tree
	Parts  []*Part // every part, depth-first, Root first
	Flags  []Flag  // anomalies seen while parsing
	Size   int64

	r io.ReaderAt
}

// Flag names an anomaly; scanners and rules test for them
// (SpamAssassin's check_msg_parse_flags, RELIABILITY.md "MIME").
type Flag string
