package mime

import "testing"

// TestRefreshURL: the URL of a meta refresh, found by byte offset even
// after bytes that are not UTF-8.
func TestRefreshURL(t *testing.T) {
	for in, want := range map[string]string{
		"5; url=http://example.com/a":           "http://example.com/a",
		"0;URL='http://example.com/b'":          "http://example.com/b",
		"\xa1\xa1\xa1; url=http://example.com/": "http://example.com/",
		"5":                                     "",
	} {
		if got := refreshURL(in); got != want {
			t.Errorf("refreshURL(%q) = %q, want %q", in, got, want)
		}
	}
}
