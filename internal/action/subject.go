package action

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"

	"mailwall/internal/scan"
	"mailwall/internal/verdict"
)

// # Subject rewrite
//
// RewriteSubject is SpamAssassin's rewrite_header Subject for a spam
// that keeps its body (report_safe 0; PerMsgStatus.pm
// rewrite_no_report_safe, 4.0.1), on the raw header as received, so
// RFC 2047 encoded words stay as they are.
//
// The header section is the one Message.pm reads: an mbox "From " or an
// MBX separator first line is no part of it; it ends at the empty line,
// at a line starting "--", or at the fourth line that does not start a
// field (a printable ASCII name, blanks, a colon); a line starting with
// a blank continues the field before it.
//
// Every field whose first line starts "Subject:" (any case, no blank
// before the colon) is rewritten: the name as written, one space, the
// tag, one space, then the value without its leading blanks and without
// one leading "tag " (compared ignoring ASCII case: a tag already there
// is not added twice); its folded lines and line ends are kept. A header
// with no Subject field at all gains "Subject: TAG " (SpamAssassin's
// trailing space included). QUIRK: a header whose only Subject fields
// are obsolete ones ("Subject :") is left alone, as SpamAssassin does.
//
// Each rewritten field's first line, as it was, follows the new fields
// as "X-Spam-Prev-Subject: ..." (SpamAssassin copies the first line
// only: its header is a list of lines there); a created Subject gets
// "X-Spam-Prev-Subject: (nonexistent)".
//
// The spooled message is never changed: the rewritten fields go at the
// end of our prefix, in their order, and the old ones are left out of
// delivery (queue.Edit.Skip). So the Subject moves to the top of the
// header; everything else is delivered byte for byte as without the
// rewrite.

// SubjectTag returns the tag for the Subject of a message the verdict
// tags as spam, when a scanner offers one (scan.Result.SubjectTag).
func SubjectTag(v verdict.Verdict, rep *scan.Report) (string, bool) {
	if !v.Spam || v.Action != verdict.Tag {
		return "", false
	}
	for _, res := range rep.Results {
		if res != nil && res.SubjectTag != "" {
			return res.SubjectTag, true
		}
	}
	return "", false
}

// Span is the bytes [Start, End) of a message.
type Span struct{ Start, End int64 }

// maxBadLines is how many lines that start no field Message.pm lets
// into a header before it takes the next one as the body's start.
const maxBadLines = 3

// RewriteSubject reads the header section of a message from r and
// rewrites its Subject with tag (see "Subject rewrite"): fields are the
// new Subject fields and their X-Spam-Prev-Subject copies,
// CRLF-terminated, and cut the ranges of r they replace. Both are empty when nothing is to change. CR, LF and NUL in
// tag become spaces, so the tag cannot add a header line.
func RewriteSubject(r io.Reader, tag string) (fields []byte, cut []Span, err error) {
	tag = oneLine(tag)
	var (
		out      bytes.Buffer
		prev     bytes.Buffer // X-Spam-Prev-Subject fields
		off      int64        // offset of the line read
		cur      []byte       // the Subject field being read, nil if none
		curStart int64
		found    bool // a Subject field, obsolete syntax included
		bad      int
	)
	end := func() { // the field being read ends at off
		if cur != nil {
			out.Write(rewriteField(cur, tag))
			first, _, _ := bytes.Cut(cur, []byte("\n"))
			prev.WriteString("X-Spam-Prev-")
			prev.Write(bytes.TrimSuffix(first, []byte("\r")))
			prev.WriteString("\r\n")
			cut = append(cut, Span{curStart, off})
			cur = nil
		}
	}
	br := bufio.NewReader(r)
	for first := true; ; first = false {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, err
		}
		if len(line) == 0 {
			end()
			break
		}
		switch {
		case first && separator(line):
		case line[0] == ' ' || line[0] == '\t':
			if cur != nil {
				cur = append(cur, line...)
			}
		case string(line) == "\r\n" || string(line) == "\n" || bytes.HasPrefix(line, []byte("--")):
			end()
			return finish(&out, &prev, found, tag), cut, nil
		default:
			end()
			name, colon := fieldName(line)
			if !colon {
				if bad++; bad > maxBadLines {
					return finish(&out, &prev, found, tag), cut, nil
				}
			}
			if colon && strings.EqualFold(name, "subject") {
				found = true
				if len(line) > len(name) && line[len(name)] == ':' {
					cur, curStart = append([]byte(nil), line...), off
				}
			}
		}
		off += int64(len(line))
		if err != nil { // the message ends inside its header
			end()
			break
		}
	}
	return finish(&out, &prev, found, tag), cut, nil
}

// oneLine makes CR, LF and NUL in a tag spaces, so it cannot add a
// header line.
func oneLine(tag string) string {
	return strings.Map(func(c rune) rune {
		if c == '\r' || c == '\n' || c == 0 {
			return ' '
		}
		return c
	}, tag)
}

// SubjectValue is the value of a Subject field rewritten with tag, as
// RewriteSubject rewrites the field: for a front end that changes
// fields one by one (a milter's CHGHEADER). value is the field's value
// after the colon, with or without its leading blanks, folded with CRLF;
// the result has one leading space, as the field's value would in
// "Subject: TAG value".
func SubjectValue(value, tag string) string {
	out := rewriteField([]byte("Subject:"+value+"\r\n"), oneLine(tag))
	return strings.TrimSuffix(string(out[len("Subject:"):]), "\r\n")
}

// SubjectCreated is the Subject value a message without one gains, and
// the X-Spam-Prev-Subject value that goes with it (see finish).
func SubjectCreated(tag string) (subject, prev string) {
	return " " + oneLine(tag) + " ", " (nonexistent)"
}

// finish adds the Subject a header without one gains, then the
// X-Spam-Prev-Subject fields.
func finish(out, prev *bytes.Buffer, found bool, tag string) []byte {
	if !found {
		subj, was := SubjectCreated(tag)
		out.WriteString("Subject:" + subj + "\r\n")
		prev.WriteString("X-Spam-Prev-Subject:" + was + "\r\n")
	}
	out.Write(prev.Bytes())
	return out.Bytes()
}

// rewriteField is one Subject field rewritten (Perl:
// s/^([^:]+:)[ \t]*(?:\Q$tag\E )?/$1 $tag /i on its first line).
func rewriteField(field []byte, tag string) []byte {
	const name = len("Subject:")
	rest := bytes.TrimLeft(field[name:], " \t")
	if len(rest) > len(tag) && asciiEqualFold(rest[:len(tag)], tag) && rest[len(tag)] == ' ' {
		rest = rest[len(tag)+1:]
	}
	out := make([]byte, 0, len(field)+2*len(tag)+4)
	out = append(out, field[:name]...)
	out = append(out, ' ')
	out = append(out, tag...)
	out = append(out, ' ')
	out = append(out, rest...)
	if !bytes.HasSuffix(out, []byte("\n")) { // the message ended here
		out = append(out, "\r\n"...)
	}
	return out
}

// asciiEqualFold compares ignoring the case of ASCII letters only, as
// Perl's /i does on byte strings.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// fieldName returns the field name a header line starts with and
// whether a colon follows it, after blanks (Message.pm:
// /^[\041-\071\073-\176]+[ \t]*:/).
func fieldName(line []byte) (string, bool) {
	i := 0
	for i < len(line) && line[i] >= 0x21 && line[i] <= 0x7e && line[i] != ':' {
		i++
	}
	j := i
	for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
		j++
	}
	return string(line[:i]), i > 0 && j < len(line) && line[j] == ':'
}

// mbxSeparator is Message.pm's MBX_SEPARATOR (Perl's $ may match before
// a final newline).
var mbxSeparator = regexp.MustCompile(`^[\s\d]\d-[a-zA-Z]{3}-\d{4}\s\d{2}:\d{2}:\d{2}.*,\d+;[\da-f]{12}-\w{8}\r?\n?$`)

// separator reports an mbox "From " line (Perl: /^From\s+(?!:)/) or an
// MBX separator, which Message.pm takes off before the header.
func separator(line []byte) bool {
	if rest, ok := bytes.CutPrefix(line, []byte("From")); ok {
		n := 0
		for n < len(rest) && strings.IndexByte(" \t\n\r\f\v", rest[n]) >= 0 {
			n++
		}
		// \s+ may give one blank back, so only "From :" fails
		return n >= 2 || n == 1 && (len(rest) == 1 || rest[1] != ':')
	}
	return mbxSeparator.Match(line)
}
