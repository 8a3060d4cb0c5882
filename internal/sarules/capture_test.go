package sarules

import (
	"strings"
	"testing"
)

// TestCaptureTemplates: a named group saves what it matched, and
// %{NAME} in another rule matches exactly those values (quoted), per
// message; with no value the template rule does not hit.
func TestCaptureTemplates(t *testing.T) {
	rs, diags, err := Load(nil, LoadOptions{Extra: `
header __TO_ADDR To:addr =~ /(?<TO_ADDR>.*)/
uri    T_URI_TO     m|^https?://.{3,64}\#%{TO_ADDR}|i
body   T_BODY_TO    /dear %{TO_ADDR}\b/i
body   __WORDS      /\b(?<WORD>z[a-z]+)\b/
tflags __WORDS      multiple
body   T_WORD_TWICE /%{WORD}.*%{WORD}/
score  T_URI_TO 1
score  T_BODY_TO 1
score  T_WORD_TWICE 1
`})
	if err != nil {
		t.Fatal(err, diags)
	}
	for _, c := range []struct {
		name, msg string
		want      []string
	}{
		{"uri", "To: Bob <bob@example.com>\nSubject: hi\n\nsee http://evil.example.net/x#bob@example.com now\n", []string{"T_URI_TO"}},
		{"other address", "To: carol@example.com\nSubject: hi\n\nsee http://evil.example.net/x#bob@example.com now\n", nil},
		{"body, case folded", "To: bob@example.com\nSubject: hi\n\nDear BOB@example.com, hello\n", []string{"T_BODY_TO"}},
		{"no To", "Subject: hi\n\nsee http://evil.example.net/x#bob@example.com now\n", nil},
		{"metacharacters quoted", "To: a+b@ex.com\nSubject: hi\n\nhttp://evil.example.net/x#aab@ex.com\n", nil},
		{"metacharacters literal", "To: a+b@ex.com\nSubject: hi\n\nhttp://evil.example.net/x#a+b@ex.com\n", []string{"T_URI_TO"}},
		{"multiple captures", "To: x@y.z\nSubject: hi\n\nzap zip zap\n", []string{"T_WORD_TWICE"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := rs.Check(t.Context(), NewMessage([]byte(c.msg)), CheckOptions{Local: true})
			var got []string
			for _, h := range res.Hits {
				if strings.HasPrefix(h.Name, "T_") {
					got = append(got, h.Name)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("hits %v, want %v", got, c.want)
			}
		})
	}
	if r := rs.rules["T_URI_TO"]; r.tmpl == nil || r.Re.lits != nil || r.Re.set != nil {
		t.Error("T_URI_TO is not a template rule outside the prefilters")
	}
}

func TestQuoteMeta(t *testing.T) {
	for in, want := range map[string]string{
		"bob@example.com": `bob\@example\.com`,
		"a+b_c9":          `a\+b_c9`,
		"\xe9 x":          "\\\xe9\\ x",
		"":                "",
	} {
		if got := quoteMeta(in); got != want {
			t.Errorf("quoteMeta(%q) = %q, want %q", in, got, want)
		}
	}
}
