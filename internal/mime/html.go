package mime

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// # HTML rendering
//
// HTMLToText walks the tokens of golang.org/x/net/html (no tree is built, so
// it is linear and tolerant of any markup). Text is kept with white space
// collapsed; block elements start new lines; script, style, head metadata
// and comments are dropped (noscript content is kept: clients run no
// scripts); an image's alt text is kept in place, as a
// client shows it when images are off. Links are the URL attributes a
// client may follow or load: href, src, action, background, and the URL of
// a meta refresh.

// HTMLToText renders HTML to plain text and returns it with the links found
// in the markup, in document order (not de-duplicated).
func HTMLToText(b []byte) (text string, links []string) {
	z := html.NewTokenizer(bytes.NewReader(b))
	var w textWriter
	w.b.Grow(len(b) / 2) // markup is usually more than half of HTML mail
	skip := atom.Atom(0) // inside a raw-text element we drop (script, style, title)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(w.b.String()), links
		case html.TextToken:
			if skip == 0 {
				w.text(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if a == skip {
				skip = 0
			}
			if blockTags[a] {
				w.newline()
			} else if a == atom.Td || a == atom.Th {
				w.space()
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			var alt, refresh, content string
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "href", "src", "action", "background", "formaction":
					if u := cleanLink(string(v)); u != "" {
						links = append(links, u)
					}
				case "alt":
					alt = string(v)
				case "http-equiv":
					refresh = strings.ToLower(string(v))
				case "content":
					content = string(v)
				}
			}
			if a == atom.Meta && refresh == "refresh" {
				if u := refreshURL(content); u != "" {
					links = append(links, u)
				}
			}
			switch {
			case (a == atom.Script || a == atom.Style || a == atom.Title) && tt == html.StartTagToken:
				skip = a
			case a == atom.Noscript || a == atom.Noembed || a == atom.Noframes:
				// Mail clients run no scripts, so they show this content:
				// read it as markup, not as the raw text a browser skips.
				z.NextIsNotRawText()
			case a == atom.Img || (a == atom.Input && alt != ""):
				w.space()
				w.text([]byte(alt))
				w.space()
			case a == atom.Br || blockTags[a]:
				w.newline()
			case a == atom.Td || a == atom.Th:
				w.space()
			}
		}
	}
}

// blockTags start and end a line.
var blockTags = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Tr: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.Table: true, atom.Blockquote: true, atom.Pre: true, atom.Hr: true, atom.H1: true,
	atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Dd: true,
	atom.Dt: true, atom.Dl: true, atom.Center: true, atom.Address: true, atom.Form: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true, atom.Body: true,
}

// textWriter collapses white space and line breaks.
type textWriter struct {
	b         strings.Builder
	pendSpace bool // a space is pending
	pendNL    bool // a line break is pending
}

func (w *textWriter) space()   { w.pendSpace = true }
func (w *textWriter) newline() { w.pendNL = true }

func (w *textWriter) text(t []byte) {
	for len(t) > 0 {
		r, n := rune(t[0]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(t)
		}
		t = t[n:]
		if r == ' ' || r == '\n' || r == '\t' || r == '\r' || r >= utf8.RuneSelf && (unicode.IsSpace(r) || r == '\u00a0') || r == '\f' || r == '\v' {
			w.pendSpace = true
			continue
		}
		if w.b.Len() > 0 {
			if w.pendNL {
				w.b.WriteByte('\n')
			} else if w.pendSpace {
				w.b.WriteByte(' ')
			}
		}
		w.pendSpace, w.pendNL = false, false
		if n == 1 {
			w.b.WriteByte(byte(r))
		} else {
			w.b.WriteRune(r)
		}
	}
}

// cleanLink trims a link value the way browsers do: leading and trailing
// white space and any tab or line break inside (WHATWG URL parsing).
func cleanLink(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\t\r\n") {
		s = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(s)
	}
	return s
}

// refreshURL returns the URL of a meta refresh content value "5; url=...".
func refreshURL(content string) string {
	i := -1
	for j := 0; j+4 <= len(content); j++ {
		// ASCII case folding only: the index must be one into content
		// (strings.ToLower may change the length of non-UTF-8 text)
		if strings.EqualFold(content[j:j+4], "url=") {
			i = j
			break
		}
	}
	if i < 0 {
		return ""
	}
	return cleanLink(strings.Trim(strings.TrimSpace(content[i+4:]), `"'`))
}
