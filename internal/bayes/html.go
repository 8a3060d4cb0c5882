package bayes

import (
	"html"
	"strings"
)

// blockTags end a line of rendered text.
var blockTags = map[string]bool{
	"br": true, "p": true, "div": true, "tr": true, "li": true, "table": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"blockquote": true, "hr": true, "title": true, "ul": true, "ol": true,
}

// renderHTML turns HTML into visible text, dropping comments, script and
// style, and returns the href/src URIs it saw. It is a small tag stripper,
// not a full HTML parser; Bayes only needs the words.
func renderHTML(s string) (string, []string) {
	var b strings.Builder
	var uris []string
	skip := "" // closing tag to wait for inside script/style
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			if skip == "" {
				b.WriteString(html.UnescapeString(s))
			}
			break
		}
		if skip == "" {
			b.WriteString(html.UnescapeString(s[:lt]))
		}
		s = s[lt:]
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		gt := strings.IndexByte(s, '>')
		if gt < 0 {
			break
		}
		tag := s[1:gt]
		s = s[gt+1:]
		name := strings.ToLower(tagName(tag))
		if skip != "" {
			if name == "/"+skip {
				skip = ""
			}
			continue
		}
		switch {
		case name == "script" || name == "style":
			skip = name
		case blockTags[strings.TrimPrefix(name, "/")]:
			b.WriteString("\n")
		default:
			b.WriteString(" ")
		}
		for _, attr := range []string{"href", "src", "action", "background"} {
			if u := attrValue(tag, attr); u != "" {
				uris = append(uris, html.UnescapeString(u))
			}
		}
	}
	// A no-break space separates words as a space does.
	return strings.ReplaceAll(b.String(), "\u00a0", " "), uris
}

func tagName(tag string) string {
	end := strings.IndexAny(tag, " \t\r\n/>")
	if end == 0 && strings.HasPrefix(tag, "/") {
		rest := tag[1:]
		if e := strings.IndexAny(rest, " \t\r\n>"); e >= 0 {
			return "/" + rest[:e]
		}
		return tag
	}
	if end < 0 {
		return tag
	}
	return tag[:end]
}

// attrValue returns the value of attribute name in a tag's text, quoted or
// not.
func attrValue(tag, name string) string {
	low := strings.ToLower(tag)
	for from := 0; ; {
		i := strings.Index(low[from:], name)
		if i < 0 {
			return ""
		}
		i += from
		from = i + len(name)
		if i > 0 && !isSpace(low[i-1]) {
			continue
		}
		j := from
		for j < len(low) && isSpace(low[j]) {
			j++
		}
		if j >= len(low) || low[j] != '=' {
			continue
		}
		j++
		for j < len(low) && isSpace(low[j]) {
			j++
		}
		if j >= len(tag) {
			return ""
		}
		if q := tag[j]; q == '"' || q == '\'' {
			end := strings.IndexByte(tag[j+1:], q)
			if end < 0 {
				return tag[j+1:]
			}
			return tag[j+1 : j+1+end]
		}
		end := strings.IndexAny(tag[j:], " \t\r\n>")
		if end < 0 {
			return tag[j:]
		}
		return tag[j : j+end]
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
