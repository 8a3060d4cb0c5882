package sarules

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
)

const gtube = "Subject: test\n\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n"

func TestGTUBE(t *testing.T) {
	rs := loadStock(t)
	res := rs.Check(context.Background(), NewMessage([]byte(gtube)), CheckOptions{Local: true})
	if res.Score < 1000 || !res.IsSpam {
		t.Fatalf("GTUBE: score %.1f spam %v", res.Score, res.IsSpam)
	}
	if !strings.HasPrefix(res.StatusHeader(), "Yes, score=") || !strings.Contains(res.StatusHeader(), "GTUBE") {
		t.Errorf("status %q", res.StatusHeader())
	}
	if !strings.Contains(res.Report(), "Content analysis details:") {
		t.Errorf("report %q", res.Report())
	}
}

const localRules = `
header   SUBJ_AD     Subject =~ /광\s*고/
describe SUBJ_AD     Korean advertisement subject
score    SUBJ_AD     6
body     __B1        /cheap/i
body     __B2        /pills/i
meta     CHEAP_PILLS __B1 && __B2
score    CHEAP_PILLS 2.5
meta     TWO_OF     (__B1 + __B2 + SUBJ_AD) >= 2
score    TWO_OF     0.5
header   __HAS_DATE  exists:Date
meta     NO_DATE     !__HAS_DATE
header   FROM_ADDR   From:addr =~ /\@spam\.example$/
uri      URI_BAD     /bad\.example/
rawbody  RAW_QP      /a=b/
header   UNSET_X     X-Foo =~ /^yes$/ [if-unset: yes]
body     MULTI       /x/
tflags   MULTI       multiple maxhits=3
ifplugin Mail::SpamAssassin::Plugin::NoSuchPlugin
body     NEVER       /./
endif
if (version >= 3.004000)
add_header all Status "_YESNO_, score=_SCORE_ required=_REQD_ tests=_TESTS_"
endif
required_score 5
rewrite_header Subject [SPAM]
`

func TestLocalRules(t *testing.T) {
	rs, diags := LoadText(localRules)
	for _, d := range diags {
		t.Errorf("%v", d)
	}
	if rs.Rule("NEVER") != nil {
		t.Error("rule inside a missing plugin's block was loaded")
	}
	msg := "From: Ad <x@spam.example>\nSubject: =?UTF-8?B?6rSRIOqzoA==?=\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"cheap pills at http://bad.example/ a=3Db xxxxx\n"
	res := rs.Check(context.Background(), NewMessage([]byte(msg)), CheckOptions{Local: true})
	got := strings.Join(res.Tests(), ",")
	want := "CHEAP_PILLS,FROM_ADDR,MULTI,NO_DATE,RAW_QP,SUBJ_AD,TWO_OF,UNSET_X,URI_BAD"
	if got != want {
		t.Errorf("tests = %s\nwant    %s", got, want)
	}
	if res.Score != 6+2.5+0.5+4+3+1+1+1 && res.Score < 5 {
		t.Errorf("score %.1f", res.Score)
	}
	if !res.IsSpam || !strings.HasPrefix(res.Subject, "[SPAM] ") {
		t.Errorf("spam %v subject %q", res.IsSpam, res.Subject)
	}
	if len(res.Headers) != 1 || !strings.HasPrefix(res.Headers[0].Value, "Yes, score=") {
		t.Errorf("headers %v", res.Headers)
	}
}

func TestParseErrorsHaveLines(t *testing.T) {
	_, diags := LoadText("body A /ok/\nbody B /(unclosed/\nmeta C (A &&\nfrobnicate 1\nendif\n")
	sev := map[int]Severity{}
	for _, d := range diags {
		sev[d.Line] = d.Severity
	}
	want := map[int]Severity{2: Error, 3: Error, 4: Warning, 5: Error}
	if len(diags) != 4 || len(sev) != 4 {
		t.Fatalf("diags %v", diags)
	}
	for l, s := range want {
		if sev[l] != s {
			t.Errorf("line %d: %v, want %v (%v)", l, sev[l], s, diags)
		}
	}
}

func FuzzConfig(f *testing.F) {
	f.Add(localRules)
	f.Add("if (version >= 3.004000) && !plugin(Mail::SpamAssassin::Plugin::X)\nbody A /a/\nelse\nbody B /b/\nendif\n")
	f.Add("replace_tag A (?:a|4)\nbody R /<A><A>/i\nreplace_rules R\nmeta M R || (R > 1)\n")
	f.Fuzz(func(t *testing.T, text string) {
		rs, _ := LoadText(text)
		rs.Check(context.Background(), NewMessage([]byte(gtube)), CheckOptions{Local: true})
	})
}

func FuzzMessage(f *testing.F) {
	f.Add([]byte(gtube))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>hi<a href=x>y</a>\n--b--\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := NewMessage(raw)
		_ = m.HeaderGet("subject")
	})
}

// TestSampleMessages: the sample messages shipped with SpamAssassin score
// as spamassassin -L -t scores them (4.0.1: 1000.0 and 0.0).
func TestSampleMessages(t *testing.T) {
	rs := loadStock(t)
	tests := []struct {
		file  string
		score float64
		tests string
	}{
		{"/usr/share/doc/spamassassin/examples/sample-spam.txt", 1000, "GTUBE,NO_RECEIVED,NO_RELAYS"},
		{"/usr/share/doc/spamassassin/examples/sample-nonspam.txt", 0, ""},
	}
	for _, tt := range tests {
		raw, err := os.ReadFile(tt.file)
		if err != nil {
			t.Logf("skip %s: %v", tt.file, err)
			continue
		}
		res := rs.Check(context.Background(), NewMessage(raw), CheckOptions{Local: true})
		if math.Abs(res.Score-tt.score) > 0.1 || strings.Join(res.Tests(), ",") != tt.tests {
			t.Errorf("%s: score %.1f tests %v, want %.1f %s", tt.file, res.Score, res.Tests(), tt.score, tt.tests)
		}
	}
}

// TestKoreanSubject: an EUC-KR encoded-word Subject is decoded to UTF-8
// before header rules see it (광고 = "advertisement").
func TestKoreanSubject(t *testing.T) {
	rs, diags := LoadText(`header KR_AD Subject =~ /\xea\xb4\x91\s*\xea\xb3\xa0/` + "\nscore KR_AD 20\n")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	// "광고" in EUC-KR is B1 A4 B0 ED
	msg := "Subject: =?euc-kr?B?saSw7Q==?= sale\n\nhello\n"
	res := rs.Check(context.Background(), NewMessage([]byte(msg)), CheckOptions{Local: true})
	if got := strings.Join(res.Tests(), ","); got != "KR_AD" {
		t.Errorf("tests %q, want KR_AD (subject %q)", got, NewMessage([]byte(msg)).HeaderGet("subject"))
	}
}
