package bayes

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mailwall/internal/store"
)

// lineTokens tokenizes one line with the default settings.
func lineTokens(s, prefix string, reg region) []string {
	tz := &tokenizer{maxLen: 15, stopwords: DefaultStopwords}
	var out []string
	tz.line(s, prefix, reg, func(tok string) bool {
		if tok != "" { // Tokens drops empty decompositions too
			out = append(out, tok)
		}
		return true
	})
	return out
}

func TestTokenizeLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		reg  region
		want []string
	}{
		{"title case lowered at start", "Hello there", regionBody, []string{"hello", "there"}},
		{"capitals decompose", "get FREE cash!", regionBody, []string{"get", "free", "FREE", "cash", "cash!"}},
		{"short and stop words dropped", "a an of the money", regionBody, []string{"money"}},
		{"trim punctuation", `"quoted", 'text'...`, regionBody, []string{"quoted", "text"}},
		{"ellipsis splits", "wait...later", regionBody, []string{"wait", "later"}}, // "..." trims to nothing
		{"dashes split", "foo--bar", regionBody, []string{"foo", "bar"}},           // "--" is under 3 bytes
		{"mail address", "send bob@mail.example.com", regionBody, []string{
			"send", "U*bob", "D*mail.example.com", "D*example.com", "D*com", "sk:bobmai", "sk:bob@mai"}},
		{"short mail address", "bob@ex.org", regionBody, []string{
			"U*bob", "D*ex.org", "D*org", "bobexorg", "bob@ex.org"}},
		{"domain", "visit www.example.com", regionBody, []string{
			"visit", "UD:www.example.com", "UD:example.com", "UD:com", "wwwexamplecom", "www.example.com"}},
		{"long token skipped", "abcdefghijklmnopqrstuvwxyz", regionBody, []string{"sk:abcdefg"}},
		{"long token with star kept", "H*abcdefghijklmnopqrstuvwxyz", regionHeader, []string{"H*abcdefghijklmnopqrstuvwxyz"}},
		{"long uri token kept", "abcdefghijklmnopqrstuvwxyz", regionURI, []string{"abcdefghijklmnopqrstuvwxyz"}},
		{"utf8 long token", "日本語のメールです", regionBody, []string{
			"u8:日", "u8:本", "u8:語", "u8:の", "u8:メ", "u8:ー", "u8:ル", "u8:で", "u8:す"}},
		{"utf8 short token kept", "日本語", regionBody, []string{"日本語"}},
		{"control bytes are spaces", "foo\x01bar\tbaz", regionBody, []string{"foo", "bar", "baz"}},
		{"header: no decomposition", "Hello FREE", regionHeader, []string{"Hello", "FREE"}},
		{"latin1 bytes kept", "caf\xe9 ole", regionBody, []string{"caf", "caf\xe9", "ole"}}, // \w is ASCII
		{"title case after full stop", "buy today. Cheap pills", regionBody, []string{"buy", "today", "cheap", "pills"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lineTokens(tt.in, "", tt.reg)
			if !slices.Equal(got, tt.want) {
				t.Errorf("tokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSkipToken(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abcdefghijklmnop", "sk:abcdefg"},
		{"abcdefgh", "abcdefgh"}, // only one byte after 7: kept whole
		{"ééééééééé", "sk:ééééééé"},
	}
	for _, tt := range tests {
		if got := skipToken(tt.in); got != tt.want {
			t.Errorf("skipToken(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHeaderTokens(t *testing.T) {
	in := Input{Headers: []Field{
		{"Received", "from a.example (a.example [10.1.2.3]) by mx.example with ESMTP id ABCDEF1234; Mon, 1 Jan 2024 10:00:00 +0000"},
		{"Received", "from relay.example (relay.example [192.0.2.55]) by a.example"},
		{"Received", "from third.example by relay.example"},
		{"From", `"Bob Smith" <bob@mail.example.com>`},
		{"Subject", "ignored for bayes"},
		{"Message-ID", "<abc.def@host.example>"},
		{"Content-Type", `multipart/alternative; boundary="----=_NextPart_000_0001_01C2"`},
		{"X-Mailer", "Microsoft Outlook"},
		{"DKIM-Signature", "v=1; a=rsa-sha256; b=verylongsignaturevalue"},
	}}
	c := New(nil, Options{})
	var got []string
	for _, tok := range c.Tokens(in) {
		got = append(got, tok)
	}
	for _, want := range []string{
		"H*F:N*Smith", "H*F:U*bob", "H*F:D*example.com", "H*Ad:D*mail.example.com",
		"H*r:ip*192.0.2.55", "H*r:192.0.2", "H*r:relay.example",
		"H*M:host", "H*MI:abc", "H*x:Microsoft", "H*UA:Outlook", "H*r:third.example",
		"H*ct:multipart", "H*ct:alternative", "H*ct:NHxtPHrt", "H*ct:HHHH",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing token %q", want)
		}
	}
	for _, tok := range got {
		if strings.Contains(tok, "ignored") || strings.Contains(tok, "10.1.2") || strings.Contains(tok, "mx.example") ||
			strings.HasPrefix(tok, "HDKIM") {
			t.Errorf("unexpected token %q (Subject, a Received header but the oldest two, or a presence-only header whose value 1 is under 3 bytes)", tok)
		}
	}
}

func TestChiCombine(t *testing.T) {
	tests := []struct {
		name  string
		probs []float64
		check func(float64) bool
	}{
		{"spammy", []float64{0.99, 0.99, 0.98, 0.95}, func(p float64) bool { return p > 0.99 }},
		{"hammy", []float64{0.01, 0.02, 0.01, 0.05}, func(p float64) bool { return p < 0.01 }},
		{"balanced", []float64{0.99, 0.01}, func(p float64) bool { return math.Abs(p-0.5) < 1e-9 }},
		{"many tiny (no underflow)", slices.Repeat([]float64{0.001}, 150), func(p float64) bool { return p >= 0 && p < 1e-6 }},
	}
	for _, tt := range tests {
		if p := chiCombine(100, 100, tt.probs); !tt.check(p) {
			t.Errorf("%s: chiCombine = %v", tt.name, p)
		}
	}
	// Robinson's f(w): an unseen-in-ham token seen once leans spam but is
	// pulled towards x; seen in both equally it is 0.5-ish.
	if f := tokenProb(1, 0, 10, 10); f < 0.9 || f > 1 {
		t.Errorf("tokenProb(1,0) = %v", f)
	}
	if f := tokenProb(5, 5, 10, 10); math.Abs(f-0.5) > 0.01 {
		t.Errorf("tokenProb(5,5) = %v", f)
	}
}

func TestRules(t *testing.T) {
	tests := []struct {
		p    float64
		want []string
	}{
		{0, []string{"BAYES_00"}},
		{0.01, []string{"BAYES_00"}},
		{0.5, []string{"BAYES_50"}},
		{0.995, []string{"BAYES_99"}},
		{0.9999, []string{"BAYES_99", "BAYES_999"}},
		{1, []string{"BAYES_99", "BAYES_999"}},
	}
	for _, tt := range tests {
		if got := Rules(tt.p); !slices.Equal(got, tt.want) {
			t.Errorf("Rules(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

// TestLearnForget checks counts, idempotent re-learning, class switching
// and forgetting.
func TestLearnForget(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := New(st, Options{MinSpam: 1, MinHam: 1})
	ctx := context.Background()
	spam := InputFromRaw([]byte("Subject: cheap pills\r\nTo: a@b.example\r\n\r\nBuy cheap viagra pills online now\r\n"))
	ham := InputFromRaw([]byte("Subject: meeting notes\r\nTo: a@b.example\r\n\r\nThe quarterly meeting notes are attached\r\n"))

	if _, ok, _ := c.Probability(ctx, spam); ok {
		t.Fatal("classified with an empty database")
	}
	if err := c.Learn(ctx, spam, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Learn(ctx, spam, true); !errors.Is(err, ErrAlreadyLearned) {
		t.Fatalf("second Learn = %v, want ErrAlreadyLearned", err)
	}
	if err := c.Learn(ctx, ham, false); err != nil {
		t.Fatal(err)
	}
	if ns, nh, _ := c.Counts(ctx); ns != 1 || nh != 1 {
		t.Fatalf("counts = %d/%d, want 1/1", ns, nh)
	}
	p, ok, err := c.Probability(ctx, spam)
	if err != nil || !ok || p < 0.9 {
		t.Fatalf("Probability(spam) = %v, %v, %v; want > 0.9", p, ok, err)
	}
	p, ok, _ = c.Probability(ctx, ham)
	if !ok || p > 0.1 {
		t.Fatalf("Probability(ham) = %v, %v; want < 0.1", p, ok)
	}
	// Re-learn the spam as ham: it moves class, totals stay 2.
	if err := c.Learn(ctx, spam, false); err != nil {
		t.Fatal(err)
	}
	if ns, nh, _ := c.Counts(ctx); ns != 0 || nh != 2 {
		t.Fatalf("counts after switch = %d/%d, want 0/2", ns, nh)
	}
	for _, in := range []Input{spam, ham} {
		if err := c.Forget(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Forget(ctx, ham); !errors.Is(err, ErrNotLearned) {
		t.Fatalf("Forget twice = %v, want ErrNotLearned", err)
	}
	// Every token counter went back to 0 and was deleted.
	for h := range c.Tokens(spam) {
		n, _ := st.Counts(ctx, []string{c.key("s:", h), c.key("h:", h)})
		if n[0] != 0 || n[1] != 0 {
			t.Fatalf("token %s still counted %v after forget", h, n)
		}
	}
}

func TestInputFromRaw(t *testing.T) {
	raw := "From sender@example.com Mon Jan  1 00:00:00 2024\n" +
		"From: =?UTF-8?B?Qm9iIFNtaXRo?= <bob@example.com>\n" +
		"Subject: =?iso-8859-1?Q?caf=E9?= offer\n" +
		"Content-Type: multipart/alternative; boundary=\"b1\"\n\n" +
		"--b1\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"Cheap caf=E9 at http://www.example.com/offer\n" +
		"--b1\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\n" +
		"PGh0bWw+PHNjcmlwdD52YXIgeDs8L3NjcmlwdD48YSBocmVmPSJodHRwOi8vc3BhbS5leGFtcGxl\nL2NsaWNrIj5DbGljayAmYW1wOyBzYXZlPC9hPjwvaHRtbD4=\n" +
		"--b1--\n"
	in := InputFromRaw([]byte(raw))
	if got := headerValue(in.Headers, "From"); got != "Bob Smith <bob@example.com>" {
		t.Errorf("From = %q", got)
	}
	if !strings.HasPrefix(in.Body, "café offer\n\n") {
		t.Errorf("body does not open with the decoded subject: %q", in.Body)
	}
	for _, want := range []string{"Cheap café", "Click & save"} {
		if !strings.Contains(in.Body, want) {
			t.Errorf("body lacks %q: %q", want, in.Body)
		}
	}
	if strings.Contains(in.Body, "var x") {
		t.Errorf("script text leaked into body: %q", in.Body)
	}
	for _, want := range []string{"http://www.example.com/offer", "http://spam.example/click"} {
		if !slices.Contains(in.URIs, want) {
			t.Errorf("URIs %q lack %q", in.URIs, want)
		}
	}
	if !strings.HasSuffix(in.MsgID, "@sa_generated") {
		t.Errorf("MsgID = %q", in.MsgID)
	}
}

// TestStopwordsMatchStock checks the built-in list against the English
// regex of the stock 60_bayes_stopwords.cf, when installed.
func TestStopwordsMatchStock(t *testing.T) {
	data, err := os.ReadFile("/usr/share/spamassassin/60_bayes_stopwords.cf")
	if err != nil {
		t.Skip("stock SpamAssassin rules not installed")
	}
	var re string
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "bayes_stopword_en "); ok {
			re = strings.TrimSpace(v)
		}
	}
	if re == "" {
		t.Skip("no bayes_stopword_en in the stock rules")
	}
	stock, err := StopwordsFromPerl(re)
	if err != nil {
		t.Fatal(err)
	}
	probe := append(slices.Clone(englishStopwords), "About", "THE", "You're", "yours", "mailer",
		"them", "money", "again", "world", "Information", "it", "its", "email", "emails")
	for _, w := range probe {
		if got, want := DefaultStopwords.MatchString(w), stock.MatchString(w); got != want {
			t.Errorf("%q: built-in list says %v, stock regex %v", w, got, want)
		}
	}
	// Other languages' lists carry UTF-8 as \xHH escapes.
	de, err := StopwordsFromPerl(`(?:k\xc3\xb6nnen|\xc3\xbcber)`)
	if err != nil {
		t.Fatal(err)
	}
	if !de.MatchString("über") || !de.MatchString("können") || de.MatchString("uber") {
		t.Error("UTF-8 escapes not translated")
	}
}

func TestReadSettings(t *testing.T) {
	cf := `# site settings
ifplugin Mail::SpamAssassin::Plugin::Bayes
bayes_ignore_header X-Secret-Score
endif
bayes_max_token_length 20
bayes_min_spam_num 10
bayes_min_ham_num 12
bayes_stopword_languages en, de
bayes_stopword_de (?:aber|\xc3\xbcber)
`
	var o Options
	if err := ReadSettings(strings.NewReader(cf), "test.cf", &o); err != nil {
		t.Fatal(err)
	}
	if o.MaxTokenLength != 20 || o.MinSpam != 10 || o.MinHam != 12 {
		t.Errorf("numbers = %d %d %d", o.MaxTokenLength, o.MinSpam, o.MinHam)
	}
	if !slices.Equal(o.IgnoreHeaders, []string{"X-Secret-Score"}) {
		t.Errorf("IgnoreHeaders = %v", o.IgnoreHeaders)
	}
	for w, want := range map[string]bool{"the": true, "Aber": true, "über": true, "money": false} {
		if got := o.Stopwords.MatchString(w); got != want {
			t.Errorf("stopword %q = %v, want %v", w, got, want)
		}
	}
	c := New(nil, o)
	toks := c.Tokens(Input{Headers: []Field{{"X-Secret-Score", "high value"}, {"X-Other", "kept value"}}})
	for _, tok := range toks {
		if strings.HasPrefix(tok, "HX-Secret-Score") {
			t.Errorf("ignored header tokenized: %q", tok)
		}
	}
	if err := ReadSettings(strings.NewReader("bayes_min_spam_num lots\n"), "bad.cf", &o); err == nil ||
		!strings.Contains(err.Error(), "bad.cf:1") {
		t.Errorf("bad number: err = %v, want one naming bad.cf:1", err)
	}
	var off Options
	ReadSettings(strings.NewReader("bayes_stopword_languages disable\n"), "x.cf", &off)
	if !off.NoStopwords {
		t.Error("disable did not turn stop words off")
	}
}

func TestDecodeQP(t *testing.T) {
	tests := []struct{ in, want string }{
		{"caf=E9 ok", "caf\xe9 ok"},
		{"soft=\nbreak", "softbreak"},
		{"===== rule\nnext", "===== rule\nnext"},
		{"trailing   \nx", "trailing\nx"},
		{"bad =ZZ hex", "bad =ZZ hex"},
	}
	for _, tt := range tests {
		if got := string(decodeQP([]byte(tt.in))); got != tt.want {
			t.Errorf("decodeQP(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAutoLearn(t *testing.T) {
	tests := []struct {
		name        string
		a           AutoLearn
		in          AutoLearnInput
		learn, spam bool
	}{
		{"clear ham", AutoLearn{}, AutoLearnInput{Points: -1}, true, false},
		{"gray zone", AutoLearn{}, AutoLearnInput{Points: 5, IsSpam: true}, false, false},
		{"clear spam", AutoLearn{}, AutoLearnInput{Points: 15, HeadPoints: 4, BodyPoints: 8, IsSpam: true}, true, true},
		{"spam without header points", AutoLearn{}, AutoLearnInput{Points: 15, HeadPoints: 1, BodyPoints: 14, IsSpam: true}, false, false},
		{"forced spam", AutoLearn{}, AutoLearnInput{Points: 15, BodyPoints: 15, IsSpam: true, Force: true}, true, true},
		{"bayes disagrees with spam", AutoLearn{}, AutoLearnInput{Points: 15, HeadPoints: 4, BodyPoints: 8, LearnedPoints: -1.9, IsSpam: true}, false, false},
		{"ham but verdict spam (whitelist off)", AutoLearn{}, AutoLearnInput{Points: 0, IsSpam: true}, false, false},
		{"on error: bayes knew", AutoLearn{OnError: true}, AutoLearnInput{Points: -2, BayesRules: []string{"BAYES_00"}}, false, false},
		{"custom thresholds", AutoLearn{HamThreshold: -1, SpamThreshold: 8}, AutoLearnInput{Points: 0}, false, false},
	}
	for _, tt := range tests {
		learn, spam := tt.a.Decide(tt.in)
		if learn != tt.learn || spam != tt.spam {
			t.Errorf("%s: Decide = %v, %v; want %v, %v", tt.name, learn, spam, tt.learn, tt.spam)
		}
	}
}
