package sarules

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"
)

// # report_safe
//
// Rewrite is SpamAssassin's rewrite_mail (PerMsgStatus.pm, 4.0.1): with
// report_safe 0, or for ham, the message keeps its body and gets the
// X-Spam-* fields in front of its header (after a leading Return-Path),
// old X-Spam-* fields removed, and From/To/Subject rewritten for spam
// (rewrite_header) with the old value kept as X-Spam-Prev-*. With
// report_safe 1 or 2 a spam becomes a new multipart/mixed message: a few
// of its header fields, the X-Spam-* fields, the report as text/plain,
// and the original byte for byte as message/rfc822 (1) or text/plain (2).
// The new parts take the original's line ending (CRLF when its first or
// last line has one).

// Rewrite returns raw rewritten with the rule files' report_safe.
func (r *Result) Rewrite(raw []byte) []byte {
	mode := 1
	if r.rs != nil {
		mode = r.rs.ReportSafe
	}
	return r.RewriteMode(raw, mode, time.Now())
}

// RewriteMode returns raw rewritten with report_safe mode (0, 1 or 2);
// now dates the Received field of an encapsulated spam. raw may start
// with an mbox From_ line, which stays first.
func (r *Result) RewriteMode(raw []byte, mode int, now time.Time) []byte {
	var sep []byte
	if bytes.HasPrefix(raw, []byte("From ")) {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			i = len(raw) - 1
		}
		sep, raw = raw[:i+1], raw[i+1:]
	}
	out := append([]byte(nil), sep...)
	if head, tail, ok := r.Encapsulate(raw, mode, now); ok {
		out = append(out, head...)
		out = append(out, raw...)
		return append(out, tail...)
	}
	return append(out, r.tagHeaders(raw)...)
}

// Encapsulate returns what goes before and after the original message
// (raw, without an mbox From_ line) when report_safe mode wraps it: head
// + raw + tail is the new message. ok is false when nothing is wrapped
// (ham, or mode 0).
func (r *Result) Encapsulate(raw []byte, mode int, now time.Time) (head, tail []byte, ok bool) {
	if !r.IsSpam || mode <= 0 || r.rs == nil {
		return nil, nil, false
	}
	hdr, _ := splitPristine(raw)
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from localhost by %s\n\twith SpamAssassin (version %s, %s);\n\t%s\n",
		r.hostname(), Version, SubVersion, rfc822Date(now))
	from, hasFrom := pristineHeader(hdr, "From")
	to, hasTo := pristineHeader(hdr, "To")
	subject, hasSubject := pristineHeader(hdr, "Subject")
	if rs := r.rs; rs.rewriteSubj != "" {
		tag := strings.ReplaceAll(r.expand(rs.rewriteSubj), "\n", " ")
		if !hasSubject {
			subject, hasSubject = "\n", true
		}
		subject = tag + " " + strings.TrimPrefix(subject, tag+" ")
	}
	if tag := r.rs.rewriteTo; tag != "" {
		if !hasTo {
			to, hasTo = "\n", true
		}
		to = appendComment(to, strings.ReplaceAll(r.expand(tag), "\n", " "))
	}
	if tag := r.rs.rewriteFrom; tag != "" {
		if !hasFrom {
			from, hasFrom = "\n", true
		}
		from = appendComment(from, strings.ReplaceAll(r.expand(tag), "\n", ""))
	}
	field := func(name, v string, ok bool) {
		if ok {
			b.WriteString(name + ": " + v)
		}
	}
	field("From", from, hasFrom)
	field("To", to, hasTo)
	cc, ok := pristineHeader(hdr, "Cc")
	field("Cc", cc, ok)
	field("Subject", subject, hasSubject)
	date, ok := pristineHeader(hdr, "Date")
	field("Date", date, ok)
	msgid, ok := pristineHeader(hdr, "Message-Id")
	field("Message-Id", msgid, ok)
	r.writeAdded(&b)

	report := r.FullReport()
	disposition := "inline"
	if ct := r.m.HeaderGet("content-type"); ct != "" && !strings.Contains(strings.ToLower(ct), "text/plain") {
		disposition = "attachment"
		report += r.expand(template(r.rs.unsafeTmpl))
	}
	typ := "message/rfc822"
	if mode > 1 {
		typ = "text/plain"
	}
	boundary := newBoundary(raw, now)
	fmt.Fprintf(&b, "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"%s\"\n\n"+
		"This is a multi-part message in MIME format.\n\n"+
		"--%s\nContent-Type: text/plain; charset=UTF-8\nContent-Disposition: inline\n"+
		"Content-Transfer-Encoding: 8bit\n\n%s\n\n"+
		"--%s\nContent-Type: %s; x-spam-type=original\n"+
		"Content-Description: original message before SpamAssassin\n"+
		"Content-Disposition: %s\nContent-Transfer-Encoding: 8bit\n\n",
		boundary, boundary, report, boundary, typ, disposition)
	crlf := usesCRLF(raw)
	return fixEndings(b.String(), crlf), fixEndings("\n--"+boundary+"--\n\n", crlf), true
}

// FullReport is the report template filled in (get_report): what
// report_safe attaches and spamassassin -t prints last. It ends in one
// empty line.
func (r *Result) FullReport() string {
	t := "(no report template found)"
	if r.rs != nil && len(r.rs.reportTmpl) > 0 {
		t = template(r.rs.reportTmpl)
	}
	return strings.TrimRight(r.expand(t), "\n") + "\n\n"
}

// template joins report or unsafe_report lines: each line ends in LF.
func template(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// tagHeaders is rewrite_no_report_safe.
func (r *Result) tagHeaders(raw []byte) []byte {
	hdr, body := splitPristine(raw)
	var lines []string
	for _, l := range strings.SplitAfter(string(hdr), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	// drop old X-Spam-* fields (X-Spam-Prev-* stay) with their folding
	kept := lines[:0:0]
	for i := 0; i < len(lines); i++ {
		if isOldSpamField(lines[i]) {
			for i+1 < len(lines) && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
				i++
			}
			continue
		}
		kept = append(kept, lines[i])
	}
	lines = kept
	separator := ""
	if n := len(lines); n > 0 && strings.TrimSpace(lines[n-1]) == "" {
		separator, lines = lines[n-1], lines[:n-1]
	}
	if r.IsSpam && r.rs != nil {
		lines = r.rewriteFields(lines)
	}
	var pre strings.Builder
	if len(lines) > 0 && hasFieldName(lines[0], "return-path") {
		pre.WriteString(lines[0])
		lines = lines[1:]
		for len(lines) > 0 && (lines[0][0] == ' ' || lines[0][0] == '\t') {
			pre.WriteString(lines[0])
			lines = lines[1:]
		}
	}
	r.writeAdded(&pre)
	out := fixEndings(pre.String()+strings.Join(lines, "")+separator, usesCRLF(raw))
	return append([]byte(out), body...)
}

// rewriteFields applies rewrite_header to the Subject, From and To lines
// of a spam; each rewritten field's old first line is kept at the end as
// X-Spam-Prev-*.
func (r *Result) rewriteFields(lines []string) []string {
	rs := r.rs
	created := false
	if rs.rewriteSubj != "" && len(headerValues(r.m.Header, "subject", true)) == 0 {
		lines = append(lines, "Subject: \n")
		created = true
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		var tmpl string
		switch {
		case hasFieldName(l, "subject"):
			tmpl = rs.rewriteSubj
		case hasFieldName(l, "from"):
			tmpl = rs.rewriteFrom
		case hasFieldName(l, "to"):
			tmpl = rs.rewriteTo
		default:
			continue
		}
		if tmpl == "" {
			continue
		}
		if created && hasFieldName(l, "subject") {
			lines = append(lines, "X-Spam-Prev-Subject: (nonexistent)\n")
		} else {
			lines = append(lines, "X-Spam-Prev-"+l)
		}
		tag := strings.ReplaceAll(r.expand(tmpl), "\n", " ")
		if !hasFieldName(l, "subject") {
			tag = "(" + tag + ")"
		}
		name, val, _ := strings.Cut(l, ":")
		val = strings.TrimLeft(val, " \t")
		val = strings.TrimPrefix(val, tag+" ")
		lines[i] = name + ": " + tag + " " + val
	}
	return lines
}

// writeAdded writes the add_header fields of this result, one
// "X-Spam-Name: value" line each (values are folded already).
func (r *Result) writeAdded(b *strings.Builder) {
	for _, h := range r.Headers {
		b.WriteString(h.Name + ": " + h.Value + "\n")
	}
}

// splitPristine splits raw after the header's empty line (the empty line
// belongs to the header, as SpamAssassin's pristine_headers). Like
// SpamAssassin, a MIME boundary line or a line that is no header field
// ends the header without an empty line.
func splitPristine(raw []byte) (hdr, body []byte) {
	pos := 0
	for pos < len(raw) {
		end := bytes.IndexByte(raw[pos:], '\n')
		if end < 0 {
			return raw, nil
		}
		line := bytes.TrimSuffix(raw[pos:pos+end], []byte("\r"))
		if len(line) == 0 {
			return raw[:pos+end+1], raw[pos+end+1:]
		}
		if line[0] != ' ' && line[0] != '\t' && (bytes.HasPrefix(line, []byte("--")) || !isFieldStart(line)) {
			return raw[:pos], raw[pos:]
		}
		pos += end + 1
	}
	return raw, nil
}

// pristineHeader returns the last field named name as written: the
// value after the colon and its blanks, folding and line end kept
// (get_pristine_header).
func pristineHeader(hdr []byte, name string) (string, bool) {
	val, found := "", false
	lines := strings.SplitAfter(string(hdr), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !hasFieldName(l, name) {
			continue
		}
		_, v, _ := strings.Cut(l, ":")
		v = strings.TrimLeft(v, " \t")
		for i+1 < len(lines) && lines[i+1] != "" && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			i++
			v += lines[i]
		}
		val, found = v, true
	}
	return val, found
}

// hasFieldName reports whether line starts the field name (any case,
// blanks allowed before the colon).
func hasFieldName(line, name string) bool {
	if len(line) <= len(name) || !strings.EqualFold(line[:len(name)], name) {
		return false
	}
	rest := strings.TrimLeft(line[len(name):], " \t")
	return strings.HasPrefix(rest, ":")
}

func isOldSpamField(line string) bool {
	return len(line) >= 7 && strings.EqualFold(line[:7], "x-spam-") &&
		!(len(line) >= 12 && strings.EqualFold(line[7:12], "prev-"))
}

// appendComment is rewrite_header From/To in report_safe mode: "\t(tag)"
// before the value's final line end, once.
func appendComment(v, tag string) string {
	end := ""
	for _, e := range []string{"\r\n", "\n"} {
		if strings.HasSuffix(v, e) {
			v, end = strings.TrimSuffix(v, e), e
			break
		}
	}
	c := "\t(" + tag + ")"
	return strings.TrimSuffix(v, c) + c + end
}

// usesCRLF is SpamAssassin's line-ending guess (bug 4363): CRLF when the
// first or the last line ends in one.
func usesCRLF(raw []byte) bool {
	first := raw
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		first = raw[:i+1]
	}
	last := bytes.TrimSuffix(raw, []byte("\n"))
	if i := bytes.LastIndexByte(last, '\n'); i >= 0 {
		last = raw[i+1:]
	} else {
		last = raw
	}
	return bytes.HasSuffix(first, []byte("\r\n")) || bytes.HasSuffix(last, []byte("\r\n"))
}

// fixEndings turns every line end into CRLF when crlf is set.
func fixEndings(s string, crlf bool) []byte {
	if crlf {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
	}
	return []byte(s)
}

// newBoundary is SpamAssassin's "----------=_TIME.RANDOM", lengthened
// until no line of the original is the boundary or its close.
func newBoundary(raw []byte, now time.Time) string {
	b := fmt.Sprintf("----------=_%08X.%08X", uint32(now.Unix()), rand.Uint32())
	for i := 0; i < 100 && boundaryClash(raw, b); i++ {
		b += fmt.Sprintf("/%08X", rand.Uint32())
	}
	return b
}

func boundaryClash(raw []byte, b string) bool {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(b) + `(?:--)?\r?$`)
	return re.Match(raw)
}

// rfc822Date is Util::time_to_rfc822_date.
func rfc822Date(t time.Time) string { return t.Format("Mon, 02 Jan 2006 15:04:05 -0700") }

// preview is _PREVIEW_ (get_content_preview): the first lines of the
// rendered body, blanks squeezed, wrapped for "Content preview:  ".
func (r *Result) preview() string {
	if r.m == nil || len(r.m.body) < 2 {
		return "\n"
	}
	ary := r.m.body[1:] // without the Subject
	var s strings.Builder
	for n := 3; s.Len() < 200 && len(ary) > 0 && n > 0; n-- {
		s.WriteString(ary[0])
		ary = ary[1:]
	}
	lines := strings.Split(s.String(), "\n")
	for i, l := range lines {
		if rs := []rune(l); len(rs) > 200 {
			lines[i] = string(rs[:200]) + " [...]"
		}
	}
	str := strings.TrimSuffix(strings.Join(lines, "\n"), "\n") + "\n"
	str = previewOrig.ReplaceAllString(str, "")
	str = strings.ReplaceAll(str, "This is a multi-part message in MIME format.", "")
	str = previewRule.ReplaceAllString(str, "")
	str = previewSpace.ReplaceAllString(str, " ")
	str = saWrap(splitWS(str), "  ", "Content preview:  ", 75, true)
	return previewLead.ReplaceAllString(str, "")
}

var (
	previewOrig  = regexp.MustCompile(`(?m)-----Original Message-----.*$`)
	previewRule  = regexp.MustCompile(`[-_*.]{10,}`)
	previewSpace = regexp.MustCompile(`\s+`)
	previewLead  = regexp.MustCompile(`^Content preview:\s+`)
	foldBreaks   = regexp.MustCompile(`\s*\n\s*`)
)

// wrapDesc is _wrap_desc: a rule description wrapped at
// report_wrap_width (75) after a first line of firstLen columns.
func wrapDesc(desc string, firstLen int, prefix string) string {
	w := saWrap(splitWS(desc), prefix, strings.Repeat(" ", firstLen), 75, false)
	return strings.TrimLeft(w, " \t\n\r\f\v")
}

// foldValue is _process_header with fold_headers on.
func foldValue(name, v string) string {
	v = strings.TrimRight(v, "\r\n")
	if strings.Contains(v, "\n") {
		return foldBreaks.ReplaceAllString(v, "\n\t")
	}
	w := saWrap(splitAfterComma(name+"!!"+v), "\t", "", 79, false)
	lines := strings.Split(w, "\n")
	kept := lines[:1]
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) != "" {
			kept = append(kept, l)
		}
	}
	_, out, _ := strings.Cut(strings.Join(kept, "\n"), "!!")
	return out
}

// saWrap is Util::wrap over pieces split with their separators kept:
// pieces join into lines of at most length columns (a tab counts 8),
// each new line starting with prefix; overflow lets a line pass length
// by one piece.
func saWrap(arr []string, prefix, first string, length int, overflow bool) string {
	if first != "" {
		arr = append([]string{first}, arr...)
	}
	width := func(s string) int { return len(s) + 7*strings.Count(s, "\t") }
	pos, mod := 0, false
	// each step joins two pieces or starts a line; a prefix wider than
	// length would start lines for ever, hence the bound
	limit := 4*len(arr) + 16
	for steps := 0; len(arr)-1 > pos && steps < limit; steps++ {
		n := width(arr[pos])
		if mod && !overflow {
			n += width(arr[pos+1])
		}
		if n <= length {
			arr[pos] += arr[pos+1]
			arr = append(arr[:pos+1], arr[pos+2:]...)
			mod = true
			continue
		}
		arr[pos] = strings.TrimRight(arr[pos], " \t\n\r\f\v")
		pos++
		mod = false
		arr = append(arr[:pos], append([]string{prefix}, arr[pos:]...)...)
	}
	return strings.Join(arr, "\n")
}

// splitWS is Perl's split(/(\s)/, s): text and single blanks alternate,
// trailing empty pieces dropped.
func splitWS(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if isSpaceByte(s[i]) {
			out = append(out, s[start:i], s[i:i+1])
			start = i + 1
		}
	}
	out = append(out, s[start:])
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// splitAfterComma is split(/((?<=[\s,]))/, s): pieces end after a blank
// or comma, each followed by an empty separator.
func splitAfterComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s)-1; i++ {
		if isSpaceByte(s[i]) || s[i] == ',' {
			out = append(out, s[start:i+1], "")
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// HeadersFor returns the add_header fields for report_safe mode: with 0,
// a spam also gets X-Spam-Report (_REPORT_) unless the rule files add a
// Report field already, as SpamAssassin's report_safe 0 does.
func (r *Result) HeadersFor(mode int) []Header {
	if mode != 0 || !r.IsSpam || r.rs == nil {
		return r.Headers
	}
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "X-Spam-Report") {
			return r.Headers
		}
	}
	return append(r.Headers[:len(r.Headers):len(r.Headers)],
		Header{Name: "X-Spam-Report", Value: encodeHeaderValue(foldValue("X-Spam-Report", r.expand("_REPORT_")))})
}
