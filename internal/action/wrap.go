package action

import (
	"bytes"

	"mailwall/internal/scan"
	"mailwall/internal/verdict"
)

// Wrapped builds what goes around a tagged spam that a scanner offers to
// wrap (SpamAssassin's report_safe 1 or 2, scan.Wrap): the prefix is our
// Received, the wrap's new header with the other scanners' fields and the
// verdict's markers added, and the wrap's report part; the suffix closes
// the MIME structure. The spooled message goes between them unchanged.
//
// ok is false when there is nothing to wrap (not tagged as spam, no
// offer) or the offer is not a CRLF header section: the caller then adds
// headers only (Headers), so a failed rewrite never costs the message.
func Wrapped(received string, v verdict.Verdict, rep *scan.Report) (prefix, suffix []byte, ok bool) {
	if !v.Spam || v.Action != verdict.Tag {
		return nil, nil, false
	}
	var w *scan.Wrap
	var others []scan.HeaderField
	for _, res := range rep.Results {
		switch {
		case res == nil:
		case res.Wrap != nil && w == nil:
			w = res.Wrap
		default:
			others = append(others, res.Headers...)
		}
	}
	if w == nil {
		return nil, nil, false
	}
	// the new header ends at the first empty line; the wrap's fields
	// were folded by the scanner and must not hold a bare CR or LF
	end := bytes.Index(w.Head, []byte("\r\n\r\n"))
	if end < 0 || bytes.Contains(bytes.ReplaceAll(w.Head, []byte("\r\n"), nil), []byte("\n")) ||
		bytes.Contains(bytes.ReplaceAll(w.Head, []byte("\r\n"), nil), []byte("\r")) {
		return nil, nil, false
	}
	var p Prefix
	p.Add("Received", received)
	p.buf.Write(w.Head[:end+2])
	for _, h := range append(others, markers(v, rep)...) {
		p.Add(h.Name, h.Value)
	}
	p.buf.Write(w.Head[end+2:])
	return p.Bytes(), w.Tail, true
}
