package sarules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestHTMLAnchorText: anchor texts as HTML.pm collects them: the text of
// each link, with "<img>\n" for an image inside it, which is what
// html_text_match('anchor', '<img>') (__HTML_LINK_IMAGE) tests.
func TestHTMLAnchorText(t *testing.T) {
	d := renderHTML([]byte(`<html><body>
<a href="http://a.example/">click <b>here</b></a>
<img src="http://i.example/x.gif">
<a href="http://b.example/"><img src="http://i.example/y.gif" width=10 height=10></a>
<a href="http://c.example/">x<img src="z.gif">y</a>
</body></html>`))
	want := []string{"click here", "<img>\n", "x<img>\ny"}
	if !slices.Equal(d.anchors, want) {
		t.Errorf("anchors %q, want %q", d.anchors, want)
	}
	rs, diags := LoadText("body __LINK_IMG eval:html_text_match('anchor', '<img>')\nbody LINK_IMG_TEST eval:html_text_match('anchor', '<img>')\nscore LINK_IMG_TEST 1\n")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	for msg, hit := range map[string]bool{
		"Content-Type: text/html\n\n<a href=\"http://b.example/\"><img src=\"y.gif\"></a>\n":     true,
		"Content-Type: text/html\n\n<a href=\"http://b.example/\">text</a><img src=\"y.gif\">\n": false,
	} {
		res := rs.Check(t.Context(), NewMessage([]byte(msg)), CheckOptions{Local: true})
		if got := slices.Contains(res.Tests(), "LINK_IMG_TEST"); got != hit {
			t.Errorf("%q: LINK_IMG_TEST %v, want %v", msg, got, hit)
		}
	}
}

// TestNameToRGB: colors as HTML.pm's name_to_rgb converts them (these
// are SpamAssassin 4.0.1's answers).
func TestNameToRGB(t *testing.T) {
	for in, want := range map[string]string{
		"red": "#ff0000", " Navy ": "#000080", "#ffcc00": "#ffcc00", "#FC0": "#ffcc00",
		"#ffcc0": "#ffffcc", "#12": "#112200", "#1234567": "#123456", "ffcc00": "invalid",
		"rgb(255,0,0)": "#ff0000", "rgb(100%, 50%, 0%)": "#ff7f00", "#zzz": "invalid", "#": "#",
		"darkslategray": "#2f4f4f", "transparent": "invalid", "rgb(300,0,0)": "#12c000",
		"bogus": "invalid", "#a1b2c3d4": "#a1b2c3",
	} {
		if got := nameToRGB(in); got != want {
			t.Errorf("nameToRGB(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFontInvalidColor: font_invalid_color (T_KAM_HTML_FONT_INVALID) for
// text drawn in a color HTML.pm cannot read, not for CSS values it
// accepts (rgb(), inherit, transparent, a background shorthand); the
// answers are SpamAssassin 4.0.1's HTML.pm's.
func TestFontInvalidColor(t *testing.T) {
	for html, want := range map[string]bool{
		`<font color="ffcc00">text</font>`:                                  true,
		`<font color="#ffcc00">text</font>`:                                 false,
		`<span style="color: rgb(10, 20, 30)">text</span>`:                  false,
		`<span style="color: inherit">text</span>`:                          false,
		`<span style="color: transparent; background-color: #fff">x</span>`: false,
		`<div style="background: url('a b.png') no-repeat #ccc">x</div>`:    false,
		`<span style="color: blurple">text</span>`:                          true,
		`<table bgcolor="zzz"><tr><td>text</td></tr></table>`:               false, // bgcolor attributes are never applied
	} {
		if got := renderHTML([]byte(html)).flags["font_invalid_color"]; got != want {
			t.Errorf("%s: font_invalid_color %v, want %v", html, got, want)
		}
	}
}

// TestHTMLTagRatios: obfuscation_ratio, closed_extra_ratio, bad_tag_ratio
// and non_element_ratio as SpamAssassin 4.0.1's HTML.pm gives them ("-":
// it has none).
func TestHTMLTagRatios(t *testing.T) {
	for _, c := range []struct {
		html string
		want [4]string
	}{
		{`<html><body>V<b>i</b>agra and <i>C</i>ialis</body></html>`, [4]string{"0.3750", "0.0000", "0.0000", "0.0000"}},
		{`<p>one</p></p></div>two`, [4]string{"-", "0.5000", "0.0000", "0.0000"}},
		{`<html><foo>x</foo><o:p>y</o:p></html>`, [4]string{"0.1667", "0.0000", "0.3333", "0.3333"}},
		{`<!DOCTYPE html><html><body>plain</body></html>`, [4]string{"-", "0.0000", "0.0000", "0.0000"}},
		{`no tags at all`, [4]string{"-", "-", "-", "-"}},
		{`<b>x</b><br>y<br>`, [4]string{"-", "0.0000", "0.0000", "0.0000"}},
	} {
		d := renderHTML([]byte(c.html))
		for i, name := range []string{"obfuscation_ratio", "closed_extra_ratio", "bad_tag_ratio", "non_element_ratio"} {
			got := "-"
			if v, ok := d.number(name); ok {
				got = fmt.Sprintf("%.4f", v)
			}
			if got != c.want[i] {
				t.Errorf("%s %s = %s, want %s", c.html, name, got, c.want[i])
			}
		}
	}
}

// TestStyleWithInvalidUTF8: the end of a <style> element is found by
// byte offset even when the style holds bytes that are not UTF-8 (once
// lost, the rest of the document was skipped).
func TestStyleWithInvalidUTF8(t *testing.T) {
	d := renderHTML([]byte("<html><head><style>\xa1\xa1\xa1\xa1 a { color: red }\xa1\xa1 </style></head><body>visible text</body></html>"))
	if got := d.String(); !strings.Contains(got, "visible text") {
		t.Errorf("rendered %q: the body after the style is missing", got)
	}
	if d.inside["style"] != 0 || d.inside["head"] != 0 {
		t.Errorf("inside %v: style and head should be closed", d.inside)
	}
}
