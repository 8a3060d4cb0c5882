package sarules

import (
	"html"
	"regexp"
	"strings"
	"unicode/utf8"
)

// # HTML rendering
//
// renderHTML turns an HTML part into text the way SpamAssassin's
// Mail::SpamAssassin::HTML does: text outside <script> and <style>, entity
// decoded, runs of whitespace collapsed to one space; br and div insert a
// newline, li th td dt dd embed h1-h6 a space, p hr blockquote pre listing
// plaintext xmp title a blank line. It also collects link targets, tag
// counts and image data for the html_* eval functions.

type htmlDoc struct {
	text     []string
	ws       []bool // text[i] is whitespace inserted by a tag
	uris     []string
	tags     map[string]int // start tags seen, by name; an end tag alone enters its name at 0
	inside   map[string]int
	images   int
	imgArea  int
	elements int
	title    string
	anchors  []string
	hrefs    []string // of the <a> tags
	length   int      // characters of HTML source (UTF-8, see Part.rendered)
	style    []*textStyle
	flags    map[string]bool
	comments []string
	maxSize  int
	minSize  int
	// tag statistics as HTML.pm counts them (see tagStats)
	stats tagStats
	// x: titles, links and iframes for eval_html_more.go
	x htmlExtra
}

// tagStats are HTML.pm's counts behind bad_tag_ratio, non_element_ratio,
// closed_extra_ratio and obfuscation_ratio: every start and end tag, those
// that are HTML 4.01 elements, the same once per name, end tags with
// nothing open, and text that goes on a word a tag interrupted.
type tagStats struct {
	tags, elements, tagsSeen, elementsSeen int
	closedExtra, obfuscation               int
	open                                   map[string]int // HTML.pm's inside: every tag counts
}

// htmlElements are the elements of the HTML 4.01 strict and transitional
// DTDs, and nobr, x-sigsep and x-tab.
var htmlElements = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`a abbr acronym address area b base bdo big blockquote body br button
		caption cite code col colgroup dd del dfn div dl dt em fieldset form h1 h2 h3 h4 h5 h6 head hr
		html i img input ins kbd label legend li link map meta noscript object ol optgroup option p
		param pre q samp script select small span strong style sub sup table tbody td textarea tfoot
		th thead title tr tt ul var applet basefont center dir font frame frameset iframe isindex menu
		noframes s strike u nobr x-sigsep x-tab`) {
		m[e] = true
	}
	return m
}()

// namespaceTagRe: Office's o:p, st1:place and the like count as elements.
var namespaceTagRe = regexp.MustCompile(`^(?:o|st\d):[\w-]+/?$`)

// count records one tag (end: an end tag).
func (t *tagStats) count(name string, end bool) {
	if t.open == nil {
		t.open = map[string]int{}
	}
	_, seen := t.open[name]
	if htmlElements[name] || namespaceTagRe.MatchString(name) {
		t.elements++
		if !seen {
			t.elementsSeen++
		}
	}
	t.tags++
	if !seen {
		t.tagsSeen++
	}
	if end {
		t.open[name]--
	} else {
		t.open[name]++
	}
	if t.open[name] < 0 {
		t.open[name] = 0
		t.closedExtra++
	}
}

// ratio returns one of the ratios, false when HTML.pm would not have it.
func (t *tagStats) ratio(name string) (float64, bool) {
	switch name {
	case "closed_extra_ratio":
		return float64(t.closedExtra) / float64(t.tags), t.tags > 0
	case "bad_tag_ratio":
		return float64(t.tags-t.elements) / float64(t.tags), t.tags > 0 && t.elements > 0
	case "non_element_ratio":
		return float64(t.tagsSeen-t.elementsSeen) / float64(t.tagsSeen), t.tagsSeen > 0 && t.elementsSeen > 0
	case "obfuscation_ratio":
		return float64(t.obfuscation) / float64(t.tags), t.tags > 0 && t.obfuscation > 0
	}
	return 0, false
}

// wordByte is a byte HTML.pm's obfuscation test takes for part of a
// word: not white space, not ASCII punctuation.
func wordByteHTML(c byte) bool {
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		return false
	case c >= 0x21 && c <= 0x2f, c >= 0x3a && c <= 0x40, c >= 0x5b && c <= 0x60, c >= 0x7b && c <= 0x7e:
		return false
	}
	return true
}

func (d *htmlDoc) String() string { return strings.Join(d.text, "") }

func (d *htmlDoc) display(text string, ws bool) {
	if ws {
		if n := len(d.text); n > 0 && !d.ws[n-1] {
			d.text[n-1] = strings.TrimSuffix(d.text[n-1], " ")
		}
	} else {
		text = collapseHTMLSpace(text)
		if n := len(d.text); n > 0 && d.ws[n-1] {
			text = strings.TrimPrefix(text, " ")
		}
	}
	d.text = append(d.text, text)
	d.ws = append(d.ws, ws)
}

func collapseHTMLSpace(s string) string {
	var b strings.Builder
	sp := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			sp = true
			continue
		}
		if c == 0xc2 && i+1 < len(s) && s[i+1] == 0xa0 {
			sp = true
			i++
			continue
		}
		if sp {
			b.WriteByte(' ')
			sp = false
		}
		b.WriteByte(c)
	}
	if sp {
		b.WriteByte(' ')
	}
	return b.String()
}

var uriAttrs = map[string][]string{
	"a": {"href"}, "area": {"href"}, "link": {"href"}, "img": {"src"}, "frame": {"src"},
	"iframe": {"src"}, "embed": {"src"}, "script": {"src"}, "form": {"action"},
	"base": {"href"}, "bgsound": {"src"}, "body": {"background"}, "table": {"background"},
	"tr": {"background"}, "td": {"background"},
}

func renderHTML(src []byte) *htmlDoc {
	d := &htmlDoc{tags: map[string]int{}, inside: map[string]int{}, flags: map[string]bool{}, length: utf8.RuneCount(src), maxSize: 3, minSize: 3}
	// HTML.pm turns &nbsp; into a space before parsing: a space, not a
	// word byte, for the obfuscation test (a tag inside a word)
	s := strings.ReplaceAll(string(src), "&nbsp;", " ")
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			d.textNode(s)
			break
		}
		if lt > 0 {
			d.textNode(s[:lt])
			s = s[lt:]
		}
		switch {
		case strings.HasPrefix(s, "<!--"):
			end := strings.Index(s, "-->")
			if end < 0 {
				d.comments = append(d.comments, s)
				return d
			}
			d.comments = append(d.comments, s[:end+3])
			s = s[end+3:]
			continue
		case len(s) > 1 && (isASCIILetter(s[1]) || s[1] == '/' || s[1] == '!' || s[1] == '?'):
		default:
			d.textNode("<")
			s = s[1:]
			continue
		}
		end := tagEnd(s)
		if end < 0 {
			break
		}
		d.tag(s[1:end])
		s = s[end+1:]
		if d.inside["script"] > 0 || d.inside["style"] > 0 {
			closeTag := "</script"
			if d.inside["style"] > 0 {
				closeTag = "</style"
			}
			// lowerASCII keeps byte offsets (strings.ToLower turns invalid
			// UTF-8 into 3-byte U+FFFD, and the index would miss the tag)
			i := strings.Index(lowerASCII(s), closeTag)
			if i < 0 {
				break
			}
			s = s[i:]
		}
	}
	return d
}

// tagEnd finds the '>' closing the tag at s[0], skipping quoted attributes.
func tagEnd(s string) int {
	var q byte
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			if i > 0 && s[i-1] == '=' || (i > 1 && s[i-1] == ' ' && s[i-2] == '=') {
				q = c
			}
		case c == '>':
			return i
		}
	}
	return -1
}

func (d *htmlDoc) textNode(t string) {
	if d.inside["script"] > 0 || d.inside["style"] > 0 {
		return
	}
	t = html.UnescapeString(t)
	if d.inside["title"] > 0 {
		d.title += t
	}
	d.x.text(d, t)
	if d.inside["a"] > 0 && len(d.anchors) > 0 {
		d.anchors[len(d.anchors)-1] += t
	}
	if strings.Trim(t, " \t\n\r\f\v\u00a0") != "" {
		d.invisible()
	}
	if n := len(d.text); n > 0 && t != "" && wordByteHTML(t[0]) {
		if prev := d.text[n-1]; prev != "" && wordByteHTML(prev[len(prev)-1]) {
			d.stats.obfuscation++ // a tag inside a word
		}
	}
	d.display(t, false)
}

func (d *htmlDoc) tag(body string) {
	if len(body) >= 8 && strings.EqualFold(body[:8], "!doctype") {
		d.stats.tags++
		d.stats.elements++
		return
	}
	if strings.HasPrefix(body, "!") || strings.HasPrefix(body, "?") {
		return
	}
	end := body[0] == '/'
	if end {
		body = body[1:]
	}
	name := body
	if i := strings.IndexAny(body, " \t\r\n/"); i >= 0 {
		name = body[:i]
	}
	name = strings.ToLower(name)
	attrs := parseAttrs(body[len(name):])
	d.elements++
	d.stats.count(name, end)
	if styleTags[name] {
		d.styleTag(name, attrs, end)
	}
	if !end && name == "font" {
		if face, ok := attrs["face"]; ok && !fontFaceRe.MatchString(face) {
			d.flags["font_face_bad"] = true
		}
	}
	if !end && name == "form" && strings.Contains(strings.ToLower(attrs["action"]), "mailto:") {
		d.flags["form_action_mailto"] = true
	}
	if !end && (name == "object" || name == "embed") {
		d.flags["embeds"] = true
	}
	if end {
		if d.inside[name] > 0 {
			d.inside[name]--
		}
		// an end tag alone makes the tag exist too (HTML.pm: inside{tag}
		// += -1, then clamped at 0): html_tag_exists, html_tag_balance
		if _, ok := d.tags[name]; !ok {
			d.tags[name] = 0
		}
	} else {
		d.tags[name]++
		if !voidElements[name] {
			d.inside[name]++
		}
	}
	switch name {
	case "br", "div":
		d.display("\n", true)
	case "li", "th", "td", "dt", "dd", "embed", "h1", "h2", "h3", "h4", "h5", "h6":
		d.display(" ", true)
	case "p", "hr", "blockquote", "pre", "listing", "plaintext", "xmp", "title":
		d.display("\n\n", true)
	}
	if end {
		return
	}
	d.startTag(name, attrs)
}

// startTag records what a start tag adds: its links and images, and the
// anchor text of an image inside a link.
func (d *htmlDoc) startTag(name string, attrs map[string]string) {
	d.x.startTag(name, attrs)
	for _, a := range uriAttrs[name] {
		if v, ok := attrs[a]; ok {
			d.uris = append(d.uris, strings.TrimSpace(v))
		}
	}
	if name == "a" {
		d.anchors = append(d.anchors, "")
		if h, ok := attrs["href"]; ok {
			d.hrefs = append(d.hrefs, strings.TrimSpace(h))
		}
	}
	if name == "img" && d.inside["a"] > 0 && len(d.anchors) > 0 {
		// an image inside a link is anchor text "<img>" (HTML.pm), what
		// html_text_match('anchor', '<img>') looks for
		d.anchors[len(d.anchors)-1] += "<img>\n"
	}
	if name == "img" {
		d.images++
		wa, wok := attrs["width"]
		ha, hok := attrs["height"]
		if wok && hok {
			w, h := imgDim(wa, 8), imgDim(ha, 6)
			d.imgArea += w * h
		}
	}
}

var voidElements = map[string]bool{"br": true, "img": true, "hr": true, "meta": true, "link": true,
	"input": true, "area": true, "base": true, "col": true, "embed": true, "param": true, "wbr": true}

func atoiLoose(s string) int {
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1e6; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// parseAttrs reads name=value pairs (quoted or not); names lower-cased,
// values entity-decoded.
func parseAttrs(s string) map[string]string {
	out := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t\r\n/")
		if s == "" {
			return out
		}
		i := strings.IndexAny(s, "= \t\r\n")
		if i < 0 {
			out[strings.ToLower(s)] = ""
			return out
		}
		name := strings.ToLower(s[:i])
		s = strings.TrimLeft(s[i:], " \t\r\n")
		if !strings.HasPrefix(s, "=") {
			out[name] = ""
			continue
		}
		s = strings.TrimLeft(s[1:], " \t\r\n")
		var val string
		if s != "" && (s[0] == '"' || s[0] == '\'') {
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				val, s = s[1:], ""
			} else {
				val, s = s[1:1+end], s[end+2:]
			}
		} else {
			end := strings.IndexAny(s, " \t\r\n")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		if _, dup := out[name]; !dup {
			out[name] = html.UnescapeString(val)
		}
	}
}

// imgDim reads an img width/height: pixels, or percent of an 800x600
// screen (mult 8 or 6); unparseable or zero guesses 200.
func imgDim(s string, mult int) int {
	n := 0
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1e6 {
		n = n*10 + int(s[i]-'0')
		i++
	}
	switch {
	case i == len(s) && i > 0:
	case i > 0 && s[i:] == "%":
		n *= mult
	default:
		n = 0
	}
	if n <= 0 {
		n = 200
	}
	return n
}
