package sarules

import (
	"slices"
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
