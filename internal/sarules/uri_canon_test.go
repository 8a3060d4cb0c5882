package sarules

import (
	"slices"
	"strings"
	"testing"
)

// TestCanonURIs: the forms of each URI are those of SpamAssassin 4.0.1's
// Util::uri_list_canonicalize (with the redirector pattern below), as
// its own output lists them.
func TestCanonURIs(t *testing.T) {
	re, err := CompileRegex(`/^https?:\/\/(?:www\.)?google\.com\/url\?.*?[?&]q=(https?:\/\/[^&]+)/i`)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"http://%31%30%31@%34%2E%34%37%2E%39%36%2E%31%34%31/msga.html\thttp://%31%30%31@%34%2E%34%37%2E%39%36%2E%31%34%31/msga.html\thttp://101@4.47.96.141/msga.html\thttp://4.47.96.141/msga.html",
		"HTTP://Example.COM:80/x\tHTTP://Example.COM:80/x",
		"www.foo.com/bar\thttp://www.foo.com/bar\twww.foo.com/bar",
		"http://3232235777/\thttp://192.168.1.1/\thttp://3232235777/",
		"http://0x7f.0.0.01/a\thttp://0x7f.0.0.01/a\thttp://127...1/a",
		"mailto:joe@example.com?subject=hi\tmailto:joe@example.com\tmailto:joe@example.com?subject=hi",
		"http:\\\\evil.com\\path\thttp://evil.com/path\thttp:\\\\evil.com\\path",
		"http://foo/\thttp://foo/\thttp://www.foo.com/",
		"https://www.google.com/url?sa=t&q=http://target.example/x&z=1\thttp://target.example/x\thttps://www.google.com/url?sa=t&q=http://target.example/x&z=1",
		"http://a.com/redirect?u=http://b.example/c\thttp://a.com/redirect?u=http://b.example/c\thttp://b.example/c",
		"http://ex.com&#46;cn/\thttp://ex.com&#46;cn/\thttp://ex.com&/#46;cn/\thttp://ex.com/#46;cn/",
	} {
		f := strings.Split(line, "\t")
		got := canonURIs([]string{f[0]}, []*Regex{re})
		slices.Sort(got)
		if want := f[1:]; !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", f[0], got, want)
		}
	}
}

// TestURIHostListed: enlist_uri_host and check_uri_host_listed as
// SpamAssassin 4.0.1 answers (the stock SUSP_URI_NTLD list behind
// PDS_OTHER_BAD_TLD, and a list with an exception and an address).
func TestURIHostListed(t *testing.T) {
	rs, diags, err := Load([]string{stockDir}, LoadOptions{Extra: "use_bayes 0\n" +
		"enlist_uri_host (T_L) example.com !good.example.com 203.0.113.5\n" +
		"header T_UHL eval:check_uri_host_listed('T_L')\nscore T_UHL 1\n"})
	if err != nil {
		t.Skip("stock rules: ", err)
	}
	for _, d := range diags {
		if d.Severity == Error {
			t.Fatal(d)
		}
	}
	for u, want := range map[string][]string{
		"http://shop.example.icu/x": {"PDS_OTHER_BAD_TLD"},
		"http://www.example.org/":   nil,
		"http://good.example.com/":  nil,
		"http://bad.example.com/":   {"T_UHL"},
		"http://203.0.113.5/x":      {"T_UHL"},
	} {
		msg := "From: a@sender.example\nTo: u@example.org\nSubject: hello there\nDate: Mon, 3 Jun 2024 10:00:00 +0000\nMessage-ID: <x1@sender.example>\n\nsee " + u + " today\n"
		res := rs.Check(t.Context(), NewMessage([]byte(msg)), CheckOptions{Local: true})
		var got []string
		for _, n := range res.Tests() {
			if n == "T_UHL" || n == "PDS_OTHER_BAD_TLD" {
				got = append(got, n)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", u, got, want)
		}
	}
}
