package sarules

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/image/colornames"
)

// # HTML text style
//
// A simplified Mail::SpamAssassin::HTML text_style: a stack of foreground
// and background colors and font sizes, pushed by the style-changing
// elements and popped by their end tags, so that text drawn in (nearly)
// the background color sets font_low_contrast, an unparseable color
// font_invalid_color, and a bad font face font_face_bad.

type textStyle struct {
	tag, fg, bg string
	size        int
}

var styleTags = map[string]bool{"body": true, "font": true, "table": true, "tr": true, "th": true, "td": true,
	"big": true, "small": true, "basefont": true, "marquee": true, "span": true, "p": true, "div": true, "a": true}

var styleAttrs = map[string]map[string]bool{
	"basefont": {"color": true, "size": true}, "body": {"text": true, "bgcolor": true},
	"font": {"color": true, "size": true}, "marquee": {"bgcolor": true},
	"table": {"bgcolor": true, "style": true}, "td": {"bgcolor": true, "style": true},
	"tr": {"bgcolor": true, "style": true}, "span": {"style": true}, "p": {"style": true},
	"div": {"style": true}, "a": {"style": true},
}

// nameToRGB converts an HTML color to #rrggbb as HTML.pm's name_to_rgb
// does, or "invalid": a CSS color keyword; rgb(R%,G%,B%) or rgb(R,G,B);
// or # and hex digits, cut to 6 (or to 3 when 4 or 5), padded with 0
// to a multiple of 3, shorthand doubled. Hex without "#" is invalid.
func nameToRGB(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	if v, ok := colornames.Map[c]; ok {
		return fmt.Sprintf("#%02x%02x%02x", v.R, v.G, v.B)
	}
	if strings.Trim(c, "#0123456789abcdef") != "" && !rgbFuncRe.MatchString(c) {
		return "invalid"
	}
	if m := rgbPercentRe.FindStringSubmatch(c); m != nil {
		c = "#" + dec2hex(pct255(m[1])) + dec2hex(pct255(m[2])) + dec2hex(pct255(m[3]))
	}
	if m := rgbDecimalRe.FindStringSubmatch(c); m != nil {
		c = "#" + dec2hex(atoiLoose(m[1])) + dec2hex(atoiLoose(m[2])) + dec2hex(atoiLoose(m[3]))
	}
	if !strings.HasPrefix(c, "#") {
		return "invalid"
	}
	var h []byte
	for i := 0; i < len(c); i++ {
		if x := c[i]; x >= '0' && x <= '9' || x >= 'a' && x <= 'f' {
			h = append(h, x)
		}
	}
	switch {
	case len(h) > 6:
		h = h[:6]
	case len(h) > 3 && len(h) < 6:
		h = h[:3]
	}
	for len(h)%3 != 0 {
		h = append(h, '0')
	}
	if len(h) == 3 {
		h = []byte{h[0], h[0], h[1], h[1], h[2], h[2]}
	}
	return "#" + string(h)
}

var (
	rgbFuncRe    = regexp.MustCompile(`rgb\([\d%, ]*\)`)
	rgbPercentRe = regexp.MustCompile(`rgb\((\d+)%,\s*(\d+)%,\s*(\d+)%\s*\)`)
	rgbDecimalRe = regexp.MustCompile(`rgb\((\d+),\s*(\d+),\s*(\d+)\s*\)`)
)

// pct255 is int(p/100*255) for a percentage p.
func pct255(p string) int { return int(float64(atoiLoose(p)) / 100 * 255) }

// dec2hex is lower-case hex, at least two digits.
func dec2hex(n int) string { return fmt.Sprintf("%02x", n) }

// cssRGB reads a CSS color that mentions rgb as HTML.pm does: the digits
// and commas only, the first three numbers (0 if missing, at most 255).
func cssRGB(v string) string {
	var keep []byte
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= '0' && c <= '9' || c == ',' {
			keep = append(keep, c)
		}
	}
	parts := strings.Split(string(keep), ",")
	var rgb [3]int
	for i := range rgb {
		if i < len(parts) {
			rgb[i] = min(atoiLoose(parts[i]), 255)
		}
	}
	return fmt.Sprintf("#%02x%02x%02x", rgb[0], rgb[1], rgb[2])
}

// cssBackgroundColor is the first valid color among the values of the
// last layer of a CSS background (layers split at commas, values at
// spaces, neither inside parentheses or quotes); "" if none.
func cssBackgroundColor(v string) string {
	var layers [][]string
	var toks []string
	var tok []byte
	depth, quote := 0, byte(0)
	flush := func() {
		if len(tok) > 0 {
			toks = append(toks, string(tok))
			tok = tok[:0]
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0 && c == ' ':
			flush()
			continue
		case depth == 0 && c == ',':
			flush()
			layers = append(layers, toks)
			toks = nil
			continue
		}
		tok = append(tok, c)
	}
	flush()
	layers = append(layers, toks)
	for _, t := range layers[len(layers)-1] {
		if c := nameToRGB(t); c != "invalid" {
			return c
		}
	}
	return ""
}

var (
	cssColorRe      = regexp.MustCompile(`(?i)^\s*(background-)?color:\s*(.+?)\s*$`)
	cssBackgroundRe = regexp.MustCompile(`^\s*background:\s*(.+?)\s*$`)
	cssImportantRe  = regexp.MustCompile(`\s*!\s*important$`)
)

func (d *htmlDoc) styleTop() *textStyle {
	if len(d.style) == 0 {
		d.style = []*textStyle{{fg: "#000000", bg: "#ffffff", size: 3}}
	}
	return d.style[len(d.style)-1]
}

// styleTag updates the style stack for a start or end tag.
func (d *htmlDoc) styleTag(name string, attrs map[string]string, end bool) {
	if name == "th" {
		name = "td"
	}
	top := d.styleTop()
	if end {
		for i := len(d.style) - 1; i > 0; i-- {
			if d.style[i].tag == name {
				d.style = d.style[:i]
				return
			}
		}
		return
	}
	if name == "basefont" {
		return
	}
	n := *top
	n.tag = name
	switch name {
	case "big":
		n.size++
	case "small":
		n.size--
	}
	for a, v := range attrs {
		if !styleAttrs[name][a] {
			continue
		}
		switch a {
		case "text", "color":
			n.fg = nameToRGB(v)
		case "bgcolor":
			// QUIRK: SpamAssassin's text_style converts bgcolor but never
			// applies it; only CSS background colors change the
			// background. Matching it keeps HTML_FONT_LOW_CONTRAST equal.
		case "size":
			v = strings.TrimSpace(v)
			if len(v) > 1 && (v[0] == '+' || v[0] == '-') {
				if s, err := strconv.Atoi(leadingInt(v[1:])); err == nil {
					if v[0] == '-' {
						s = -s
					}
					n.size = 3 + s // basefont 3
				}
			} else if s, err := strconv.Atoi(leadingInt(v)); err == nil {
				n.size = s
			}
		case "style":
			n.applyCSS(v, top)
		}
	}
	if n.size > d.maxSize {
		d.maxSize = n.size
	} else if n.size < d.minSize {
		d.minSize = n.size
	}
	d.style = append(d.style, &n)
}

func leadingInt(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// invisible is html_font_invisible for a run of visible text.
func (d *htmlDoc) invisible() {
	st := d.styleTop()
	fg, bg := st.fg, st.bg
	if last6(fg) == last6(bg) {
		d.flags["font_low_contrast"] = true
		return
	}
	if len(fg) == 7 && len(bg) == 7 && fg != "invalid" && bg != "invalid" {
		r1, g1, b1 := hexRGB(fg)
		r2, g2, b2 := hexRGB(bg)
		r, g, b := float64(r1-r2), float64(g1-g2), float64(b1-b2)
		if math.Sqrt(math.Pow(0.2126*r, 2)+math.Pow(0.7152*g, 2)+math.Pow(0.0722*b, 2)) < 12 {
			d.flags["font_low_contrast"] = true
			return
		}
	}
	if fg == "invalid" || bg == "invalid" {
		d.flags["font_invalid_color"] = true
	}
}

// last6 is Perl's substr($s, -6): the last 6 bytes, undef (here "\x00")
// when s is shorter, and undef equals undef.
func last6(s string) string {
	if len(s) < 6 {
		return "\x00"
	}
	return s[len(s)-6:]
}

func hexRGB(c string) (int, int, int) {
	v, _ := strconv.ParseUint(c[1:], 16, 32)
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

var fontFaceRe = regexp.MustCompile(`(?i)^\s*["'.]?[a-z ][a-z -]*[a-z]\d?["']?(?:,\s*["']?[a-z][a-z -]*[a-z]\d?["']?)*;?$`)

// applyCSS sets the colors a style attribute gives, as HTML.pm's
// text_style reads them: color and background-color (rgb(), keywords,
// hex; inherit keeps the color), a background's first valid color, and
// transparent as the parent's background (for text: the background).
func (n *textStyle) applyCSS(style string, parent *textStyle) {
	for _, decl := range strings.Split(style, ";") {
		if m := cssColorRe.FindStringSubmatch(decl); m != nil {
			val := cssImportantRe.ReplaceAllString(strings.ToLower(m[2]), "")
			c := val
			switch {
			case strings.Contains(val, "rgb"):
				c = cssRGB(val)
			case val == "inherit":
				continue
			case val != "transparent":
				c = nameToRGB(val)
			}
			if m[1] != "" {
				n.bg = c
			} else {
				n.fg = c
			}
		} else if m := cssBackgroundRe.FindStringSubmatch(decl); m != nil {
			if c := cssBackgroundColor(strings.ToLower(m[1])); c != "" {
				n.bg = c
			}
		}
	}
	if n.bg == "transparent" {
		n.bg = parent.bg
	}
	if n.fg == "transparent" {
		n.fg = n.bg
	}
}
