package sarules

import (
	"bytes"
	"slices"
	"strings"
	"unsafe"
)

// MaxPartBytes and MaxRawPartBytes bound the decoded bytes of one part
// that body and rawbody rules see: SpamAssassin's body_part_scan_size and
// rawbody_part_scan_size defaults.
const (
	MaxPartBytes    = 50_000
	MaxRawPartBytes = 500_000
)

// maxDepth and maxParts bound the MIME walk.
const (
	maxDepth = 20
	maxParts = 1000
)

// maxBodyLine is SpamAssassin's MAX_BODY_LINE_LENGTH.
const maxBodyLine = 2048

// Field is one header field: Raw is the value as written after the colon
// (folding kept, leading space kept); Value is unfolded, trimmed and
// RFC 2047-decoded.
type Field struct {
	Name, Raw, Value string
}

// Part is one MIME leaf (or message/rfc822 container) of a Message.
type Part struct {
	Header    []Field
	MediaType string // lower case, e.g. "text/html"
	Charset   string
	Encoding  string
	Raw       []byte // body as written (transfer-encoded)
	Decoded   []byte
	Filename  string
	html      *htmlDoc
	// utf8 is Decoded recoded to UTF-8 (normalizeCharset), set by render
	// for text/plain and text/html parts: see text
	utf8  string
	leaf  bool
	depth int // in the MIME tree: 0 for the message itself
}

// Message is SpamAssassin's view of one message. Build it with NewMessage;
// it is read-only afterwards and may be checked concurrently.
type Message struct {
	Raw    []byte // the message, LF line endings, without an mbox From_ line; read only
	Header []Field
	Parts  []*Part // leaves in order
	nodes  []*Part // every node, containers too, in walk order
	// Envelope information, when known (the SMTP front end or spamd sets it).
	EnvelopeFrom string
	Rcpts        []string

	body    []string // rendered body paragraphs, Subject first
	rawbody []string // decoded text parts, split into paragraphs
	uris    []string
	html    *htmlDoc        // first HTML part's metadata
	bodyLen int             // the raw body's length, as received (check_body_length)
	flags   map[string]bool // parse flags: missing_head_body_separator, ...
	rawStr  string          // Raw as a string, sharing its bytes (NewMessage)
}

// rawString returns Raw as a string.
func (m *Message) rawString() string {
	if m.rawStr != "" || len(m.Raw) == 0 {
		return m.rawStr
	}
	return string(m.Raw)
}

// NewMessage parses raw into SpamAssassin's views.
func NewMessage(raw []byte) *Message {
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		} else {
			raw = nil
		}
	}
	m := &Message{Raw: raw, flags: map[string]bool{}}
	if len(raw) > 0 {
		// raw is ReplaceAll's copy, the Message's own (Raw is not to be
		// written to): the full rules read it without another copy
		m.rawStr = unsafe.String(&raw[0], len(raw))
	}
	hdr, body, ok := splitHeader(raw)
	if !ok {
		m.flags["missing_head_body_separator"] = true
	}
	m.bodyLen = len(body) // Message.pm's pristine_body_length
	m.Header = parseFields(hdr)
	w := &walker{m: m}
	w.walk(m.Header, body, 0)
	m.render()
	return m
}

// splitHeader splits at the first empty line. Like SpamAssassin, a line
// that is not a header field ends the header.
func splitHeader(raw []byte) (hdr, body []byte, ok bool) {
	pos := 0
	for pos < len(raw) {
		end := bytes.IndexByte(raw[pos:], '\n')
		line := raw[pos:]
		if end >= 0 {
			line = raw[pos : pos+end]
		}
		if len(line) == 0 {
			return raw[:pos], raw[min(pos+1, len(raw)):], true
		}
		if line[0] != ' ' && line[0] != '\t' && !isFieldStart(line) {
			return raw[:pos], raw[pos:], false
		}
		if end < 0 {
			return raw, nil, false
		}
		pos += end + 1
	}
	return raw, nil, false
}

// isFieldStart: RFC 5322 2.2: field name of printable ASCII except colon.
func isFieldStart(line []byte) bool {
	i := 0
	for i < len(line) && line[i] >= 33 && line[i] <= 126 && line[i] != ':' {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i < len(line) && line[i] == ':'
}

func parseFields(hdr []byte) []Field {
	// one string for the block: names and values are substrings of it
	hs := string(hdr)
	var out []Field
	start := -1 // of the current field
	flush := func(end int) {
		if start < 0 {
			return
		}
		name, val, ok := strings.Cut(hs[start:end], ":")
		if ok {
			n := strings.TrimRight(name, " \t")
			out = append(out, Field{Name: n, Raw: val, Value: decodeHeaderValue(n, val)})
		}
		start = -1
	}
	for pos := 0; pos < len(hs); {
		end := len(hs)
		if k := strings.IndexByte(hs[pos:], '\n'); k >= 0 {
			end = pos + k + 1
		}
		if hs[pos] == ' ' || hs[pos] == '\t' {
			// a continuation (or, first, a field of its own)
			if start < 0 {
				start = pos
			}
		} else {
			flush(pos)
			start = pos
		}
		pos = end
	}
	flush(len(hs))
	return out
}

// decodeHeaderValue unfolds, trims and decodes a raw header value as
// Mail::SpamAssassin::Message::Node::header does.
func decodeHeaderValue(name, raw string) string {
	v := unfold(raw)
	v = strings.TrimSpace(v)
	if !isASCII(name) {
		// strings.ToLower maps some non-ASCII letters to ASCII ones
		lname := strings.ToLower(name)
		if slices.Contains(undecodedFields, lname) || strings.HasPrefix(lname, "list-") {
			return v
		}
	} else {
		for _, n := range undecodedFields {
			if equalLowerASCII(name, n) {
				return v
			}
		}
		if len(name) >= len("list-") && equalLowerASCII(name[:len("list-")], "list-") {
			return v
		}
	}
	if strings.Contains(v, "=?") {
		v = decodeRFC2047(v)
	}
	return v
}

// unfold replaces "\n" + run of blanks with one space.
// undecodedFields are the fields whose values decodeHeaderValue leaves
// encoded, lower case.
var undecodedFields = []string{"received", "message-id", "resent-message-id", "date", "resent-date",
	"mime-version", "references", "in-reply-to"}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// equalLowerASCII reports whether strings.ToLower(s) == lower for an
// ASCII s and a lower-case lower, without allocating.
func equalLowerASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// hasFoldedLine reports whether s has a newline followed by a byte
// fold says continues the line.
func hasFoldedLine(s string, fold func(byte) bool) bool {
	for i := strings.IndexByte(s, '\n'); i >= 0 && i+1 < len(s); {
		if fold(s[i+1]) {
			return true
		}
		k := strings.IndexByte(s[i+1:], '\n')
		if k < 0 {
			return false
		}
		i += k + 1
	}
	return false
}

func isBlankByte(c byte) bool { return c == ' ' || c == '\t' }

func unfold(s string) string {
	if !hasFoldedLine(s, isBlankByte) {
		return s // nothing to join
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t') {
			b.WriteByte(' ')
			for i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t') {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Get returns the values of every field named name (decoded, each with a
// trailing newline), as SpamAssassin's get_header in list context.
func headerValues(fields []Field, name string, raw bool) []string {
	var out []string
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			if raw {
				out = append(out, rawUnfold(f.Raw))
			} else {
				out = append(out, f.Value+"\n")
			}
		}
	}
	return out
}

// rawUnfold is get_header(name, raw): CRLF/LF followed by whitespace
// becomes one space; the final newline stays.
func rawUnfold(s string) string {
	if !hasFoldedLine(s, isSpaceByte) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && i+1 < len(s) && isSpaceByte(s[i+1]) {
			b.WriteByte(' ')
			for i+1 < len(s) && isSpaceByte(s[i+1]) {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// HeaderGet returns the decoded value of the last field named name, "" if absent.
func (m *Message) HeaderGet(name string) string {
	v := headerValues(m.Header, name, false)
	if len(v) == 0 {
		return ""
	}
	return strings.TrimSuffix(v[len(v)-1], "\n")
}
