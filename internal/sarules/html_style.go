package sarules

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
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

var htmlColors = map[string]int{"black": 0x000000, "silver": 0xc0c0c0, "gray": 0x808080, "white": 0xffffff,
	"maroon": 0x800000, "red": 0xff0000, "purple": 0x800080, "fuchsia": 0xff00ff, "green": 0x008000,
	"lime": 0x00ff00, "olive": 0x808000, "yellow": 0xffff00, "navy": 0x000080, "blue": 0x0000ff,
	"teal": 0x008080, "aqua": 0x00ffff, "grey": 0x808080, "orange": 0xffa500, "darkblue": 0x00008b,
	"darkred": 0x8b0000, "darkgreen": 0x006400, "lightgrey": 0xd3d3d3, "lightgray": 0xd3d3d3,
	"whitesmoke": 0xf5f5f5, "snow": 0xfffafa, "ivory": 0xfffff0, "beige": 0xf5f5dc, "pink": 0xffc0cb,
	"gold": 0xffd700, "brown": 0xa52a2a, "cyan": 0x00ffff, "magenta": 0xff00ff, "darkgray": 0xa9a9a9,
	"darkgrey": 0xa9a9a9, "lightblue": 0xadd8e6, "lightyellow": 0xffffe0, "ghostwhite": 0xf8f8ff,
	"floralwhite": 0xfffaf0, "linen": 0xfaf0e6, "seashell": 0xfff5ee, "honeydew": 0xf0fff0,
	"mintcream": 0xf5fffa, "azure": 0xf0ffff, "aliceblue": 0xf0f8ff, "lavenderblush": 0xfff0f5,
}

var hexColorRe = regexp.MustCompile(`^#?[0-9a-f]*$`)

// nameToRGB converts a color to #rrggbb, or "invalid".
func nameToRGB(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	if v, ok := htmlColors[c]; ok {
		return fmt.Sprintf("#%06x", v)
	}
	if !hexColorRe.MatchString(c) {
		return "invalid"
	}
	c = strings.TrimPrefix(c, "#")
	switch len(c) {
	case 3:
		return "#" + string([]byte{c[0], c[0], c[1], c[1], c[2], c[2]})
	case 6:
		return "#" + c
	}
	return "invalid"
}

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
			for _, decl := range strings.Split(v, ";") {
				k, val, ok := strings.Cut(decl, ":")
				if !ok {
					continue
				}
				k = strings.ToLower(strings.TrimSpace(k))
				val = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.ToLower(val)), "!important"))
				if val == "inherit" {
					continue
				}
				switch k {
				case "color":
					n.fg = nameToRGB(val)
				case "background-color":
					n.bg = nameToRGB(val)
				case "background":
					for _, tok := range strings.Fields(val) {
						if c := nameToRGB(tok); c != "invalid" {
							n.bg = c
							break
						}
					}
				}
			}
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
	if len(fg) >= 6 && len(bg) >= 6 && fg[len(fg)-6:] == bg[len(bg)-6:] {
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

func hexRGB(c string) (int, int, int) {
	v, _ := strconv.ParseUint(c[1:], 16, 32)
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

var fontFaceRe = regexp.MustCompile(`(?i)^\s*["'.]?[a-z ][a-z -]*[a-z]\d?["']?(?:,\s*["']?[a-z][a-z -]*[a-z]\d?["']?)*;?$`)
