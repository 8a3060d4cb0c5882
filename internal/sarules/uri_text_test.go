package sarules

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestTextURIList: the URIs of a body text with every form the tbird
// expression knows (schemes, www./ftp. hosts, addresses, bare host
// names with valid and invalid top-level domains, ports, paths, trailing
// punctuation, brackets) are SpamAssassin's: the list is what
// spamassassin 4.0.1 -D uri-all logs as "parsed uri from text" for
// testdata/uris/text.eml with the stock rules, in its order.
func TestTextURIList(t *testing.T) {
	rs := loadStock(t)
	raw, err := os.ReadFile("testdata/uris/text.eml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"http://example.top",
		"http://Benefits.Click/offer?id=3",
		"http://www.shop.com",
		"http://x.example.com/a(b",
		"mailto:joe.doe@mail.example.com",
		"http://x_y.sub.example.com",
		"ftp://ftp.files.net:21/pub",
		"http://www2.a-b.info",
		"mailto:jill@host.co.uk",
		"http://trailing.example.com",
		"mailto:foo@corp.example.com",
		"http://bracket.example.net",
		"http://sub.example.com:8080/path",
	}
	if got := textURIList(NewMessage(raw).body, rs.net.tld); !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// without valid top-level domains (no util_rb_tld), no bare host
	// names and no addresses, as SpamAssassin's "no_tlds_defined"
	got := textURIList([]string{"see example.com or www.example.com, mail joe@example.com"}, nil)
	if want := []string{"http://www.example.com"}; !slices.Equal(got, want) {
		t.Errorf("no TLDs: got %q, want %q", got, want)
	}
}

// FuzzTextURIList: any text gives URIs with a scheme (http, https, ftp
// or mailto), each once, without panicking.
func FuzzTextURIList(f *testing.F) {
	for _, s := range []string{"see example.com/x", "a@b.example.com", "www.x.com. http://y.net/(a)", "a-b-c-d@e", "\x1b(Bx.com", "www.x.com http://www.x.com"} {
		f.Add(s)
	}
	tlds := map[string]bool{"com": true, "net": true}
	f.Fuzz(func(t *testing.T, s string) {
		seen := map[string]bool{}
		for _, u := range textURIList([]string{s}, tlds) {
			low := strings.ToLower(u)
			if !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") && !strings.HasPrefix(low, "ftp://") && !strings.HasPrefix(low, "mailto:") {
				t.Fatalf("%q: URI %q without a scheme", s, u)
			}
			if seen[u] {
				t.Fatalf("%q: %q twice", s, u)
			}
			seen[u] = true
		}
	})
}
