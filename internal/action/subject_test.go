package action

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mailwall/internal/scan"
	"mailwall/internal/verdict"
)

const tag = "*****SPAM***** 10.0"

// subjectCases are headers and what rewrite_header Subject makes of
// them; want is the new fields, cut the old fields as they are in msg.
var subjectCases = []struct {
	name, msg, want string
	cut             []string
}{
	{"plain", "From: a@b.test\r\nSubject: hello\r\n\r\nspamword\r\n",
		"Subject: " + tag + " hello\r\n", []string{"Subject: hello\r\n"}},
	{"encoded words kept", "Subject: =?UTF-8?B?w6lsw6k=?=  hello\r\nTo: c@d.test\r\n\r\nspamword\r\n",
		"Subject: " + tag + " =?UTF-8?B?w6lsw6k=?=  hello\r\n", []string{"Subject: =?UTF-8?B?w6lsw6k=?=  hello\r\n"}},
	{"folded", "From: a@b.test\r\nsUBJECT:\t  first\r\n\tsecond\r\n third\r\nTo: c@d.test\r\n\r\nspamword\r\n",
		"sUBJECT: " + tag + " first\r\n\tsecond\r\n third\r\n", []string{"sUBJECT:\t  first\r\n\tsecond\r\n third\r\n"}},
	{"missing", "From: a@b.test\r\nTo: c@d.test\r\n\r\nspamword\r\n", "Subject: " + tag + " \r\n", nil},
	{"empty", "Subject:\r\nFrom: a@b.test\r\n\r\nspamword\r\n", "Subject: " + tag + " \r\n", []string{"Subject:\r\n"}},
	{"tagged already, any case", "Subject:   *****spam***** 10.0 hello\r\n\r\nspamword\r\n",
		"Subject: " + tag + " hello\r\n", []string{"Subject:   *****spam***** 10.0 hello\r\n"}},
	{"tag without a blank after it", "Subject: " + tag + "\r\n\r\nspamword\r\n",
		"Subject: " + tag + " " + tag + "\r\n", []string{"Subject: " + tag + "\r\n"}},
	{"two fields", "Subject: one\r\nFrom: a@b.test\r\nSubject: two\r\n\tfolded\r\n\r\nspamword\r\n",
		"Subject: " + tag + " one\r\nSubject: " + tag + " two\r\n\tfolded\r\n", []string{"Subject: one\r\n", "Subject: two\r\n\tfolded\r\n"}},
	{"obsolete blank before the colon", "From: a@b.test\r\nSubject : odd\r\n\r\nspamword\r\n", "", nil},
	{"not a subject", "X-Subject: a\r\nSubjects: b\r\nSubject-X: c\r\n\r\nspamword\r\n", "Subject: " + tag + " \r\n", nil},
	{"subject in the body only", "From: a@b.test\r\n\r\nSubject: no\r\nspamword\r\n", "Subject: " + tag + " \r\n", nil},
	{"boundary line ends the header", "From: a@b.test\r\n--x\r\nSubject: late\r\n\r\nspamword\r\n", "Subject: " + tag + " \r\n", nil},
	{"three bad lines are header", "From: a@b.test\r\nbad1\r\nbad2\r\nbad3\r\nSubject: x\r\n\r\nspamword\r\n",
		"Subject: " + tag + " x\r\n", []string{"Subject: x\r\n"}},
	{"the fourth bad line is body", "From: a@b.test\r\nbad1\r\nbad2\r\nbad3\r\nbad4\r\nSubject: late\r\n\r\nspamword\r\n",
		"Subject: " + tag + " \r\n", nil},
	{"mbox separator", "From x@y.test Mon Jan  1 00:00:00 2024\r\nSubject: hi\r\n\r\nspamword\r\n",
		"Subject: " + tag + " hi\r\n", []string{"Subject: hi\r\n"}},
	{"no body", "From: a@b.test\r\nSubject: hi\r\n", "Subject: " + tag + " hi\r\n", []string{"Subject: hi\r\n"}},
}

// TestRewriteSubject checks the fields and ranges for the cases, and
// that a tag cannot inject a header line.
func TestRewriteSubject(t *testing.T) {
	for _, tc := range subjectCases {
		t.Run(tc.name, func(t *testing.T) {
			fields, cut, err := RewriteSubject(strings.NewReader(tc.msg), tag)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.want + prevFields(tc.want, tc.cut); string(fields) != want {
				t.Errorf("fields %q, want %q", fields, want)
			}
			var got []string
			for _, c := range cut {
				got = append(got, tc.msg[c.Start:c.End])
			}
			if strings.Join(got, "|") != strings.Join(tc.cut, "|") {
				t.Errorf("cut %q, want %q", got, tc.cut)
			}
		})
	}
	test := func(name, msg, tag, want string) {
		t.Run(name, func(t *testing.T) {
			fields, _, err := RewriteSubject(strings.NewReader(msg), tag)
			if err != nil || string(fields) != want {
				t.Errorf("fields %q %v, want %q", fields, err, want)
			}
		})
	}
	test("CR LF NUL in the tag", "Subject: hi\r\n\r\n", "[SPAM]\r\nBcc: x@example.test\x00", "Subject: [SPAM]  Bcc: x@example.test  hi\r\nX-Spam-Prev-Subject: hi\r\n")
	test("ends without a line end", "Subject: hi", "[SPAM]", "Subject: [SPAM] hi\r\nX-Spam-Prev-Subject: hi\r\n")
}

// prevFields is the X-Spam-Prev-Subject fields that follow the new
// Subject fields: each old field's first line, or "(nonexistent)" for a
// created Subject.
func prevFields(want string, cut []string) string {
	if want == "" {
		return ""
	}
	if len(cut) == 0 {
		return "X-Spam-Prev-Subject: (nonexistent)\r\n"
	}
	var b strings.Builder
	for _, c := range cut {
		first, _, _ := strings.Cut(c, "\n")
		b.WriteString("X-Spam-Prev-" + strings.TrimSuffix(first, "\r") + "\r\n")
	}
	return b.String()
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestRewriteSubjectReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("Subject: hi\r\n"), failingReader{})
	if _, _, err := RewriteSubject(r, "[SPAM]"); err == nil {
		t.Error("read error not reported")
	}
}

func TestSubjectTag(t *testing.T) {
	rep := &scan.Report{Results: []*scan.Result{nil, {}, {SubjectTag: "[SPAM]"}}}
	test := func(name string, v verdict.Verdict, rep *scan.Report, want string) {
		t.Run(name, func(t *testing.T) {
			got, ok := SubjectTag(v, rep)
			if got != want || ok != (want != "") {
				t.Errorf("SubjectTag = %q, %v; want %q", got, ok, want)
			}
		})
	}
	test("tagged spam", verdict.Verdict{Action: verdict.Tag, Spam: true}, rep, "[SPAM]")
	test("no tag offered", verdict.Verdict{Action: verdict.Tag, Spam: true}, &scan.Report{Results: []*scan.Result{{}}}, "")
	test("ham", verdict.Verdict{Action: verdict.Accept}, rep, "")
	test("tagged, not spam", verdict.Verdict{Action: verdict.Tag}, rep, "")
	test("quarantined spam", verdict.Verdict{Action: verdict.Quarantine, Spam: true}, rep, "")
}

// saRules make spamassassin tag every message as spam with report_safe 0
// and the tag of the cases.
const saRules = `full TESTX /\S/
score TESTX 10
required_score 5
rewrite_header Subject *****SPAM***** _SCORE_
report_safe 0
`

var xSpamField = regexp.MustCompile(`(?im)^X-Spam-[^\n]*\n(?:[ \t][^\n]*\n)*`)

// rewritePl runs SpamAssassin's own check and rewrite_mail (what
// spamassassin -L prints) on each file, into FILE.out, in one process.
const rewritePl = `use strict;
use warnings;
use Mail::SpamAssassin;
my ($rules, $site, @files) = @ARGV;
my $sa = Mail::SpamAssassin->new({rules_filename => $rules, site_rules_filename => $site,
  userprefs_filename => '/dev/null', dont_copy_prefs => 1, local_tests_only => 1});
for my $f (@files) {
  open(my $in, '<:raw', $f) or die "$f: $!";
  my $raw = do { local $/; <$in> };
  close $in;
  my $msg = $sa->parse($raw, 1);
  my $st = $sa->check($msg);
  open(my $out, '>:raw', "$f.out") or die "$f.out: $!";
  print $out $st->rewrite_mail;
  close $out;
  $st->finish;
  $msg->finish;
}
`

// TestRewriteSubjectLikeSpamAssassin has SpamAssassin rewrite each case
// (report_safe 0): its output, without the X-Spam-* fields it adds and
// without our new fields, must be what we deliver after our prefix (the
// message without the cut ranges).
func TestRewriteSubjectLikeSpamAssassin(t *testing.T) {
	if err := exec.Command("perl", "-MMail::SpamAssassin", "-e", "1").Run(); err != nil {
		t.Skip("SpamAssassin's perl modules are not installed (apt-get install spamassassin): ", err)
	}
	pre, _ := filepath.Glob("/etc/spamassassin/*.pre")
	if len(pre) == 0 {
		t.Skip("no /etc/spamassassin/*.pre (SpamAssassin's plugin loaders)")
	}
	dir := t.TempDir()
	rules, site := filepath.Join(dir, "rules"), filepath.Join(dir, "site")
	os.Mkdir(rules, 0o755)
	os.Mkdir(site, 0o755)
	for _, f := range pre {
		if b, err := os.ReadFile(f); err == nil {
			os.WriteFile(filepath.Join(site, filepath.Base(f)), b, 0o644)
		}
	}
	os.WriteFile(filepath.Join(rules, "10_test.cf"), []byte(saRules), 0o644)
	os.WriteFile(filepath.Join(dir, "rewrite.pl"), []byte(rewritePl), 0o644)
	args := []string{filepath.Join(dir, "rewrite.pl"), rules, site}
	for i, tc := range subjectCases {
		f := filepath.Join(dir, fmt.Sprintf("msg%02d", i))
		if err := os.WriteFile(f, []byte(tc.msg), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	if out, err := exec.Command("perl", args...).CombinedOutput(); err != nil {
		t.Fatalf("perl: %v\n%s", err, out)
	}
	for i, tc := range subjectCases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("msg%02d.out", i)))
			if err != nil {
				t.Fatal(err)
			}
			sa := xSpamField.ReplaceAllStringFunc(string(out), func(f string) string {
				if strings.HasPrefix(strings.ToLower(f), "x-spam-prev-") {
					return f // ours too
				}
				return ""
			})
			fields, cut, err := RewriteSubject(strings.NewReader(tc.msg), tag)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range splitFields(string(fields)) {
				i := strings.Index(sa, f)
				if i < 0 || i > 0 && sa[i-1] != '\n' {
					t.Fatalf("SpamAssassin has no field %q:\n%s", f, out)
				}
				sa = sa[:i] + sa[i+len(f):]
			}
			var kept strings.Builder
			last := int64(0)
			for _, c := range cut {
				kept.WriteString(tc.msg[last:c.Start])
				last = c.End
			}
			kept.WriteString(tc.msg[last:])
			if sa != kept.String() {
				t.Errorf("SpamAssassin, less X-Spam-* and our fields:\n%q\nwe deliver after the prefix:\n%q", sa, kept.String())
			}
		})
	}
}

// splitFields splits CRLF header lines into fields with their folding.
func splitFields(s string) []string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		switch {
		case l == "":
		case len(out) > 0 && (l[0] == ' ' || l[0] == '\t'):
			out[len(out)-1] += l
		default:
			out = append(out, l)
		}
	}
	return out
}

// FuzzRewriteSubject: whatever the header, the cut ranges are sorted,
// disjoint, inside the message and each a Subject field, and the new
// fields are Subject fields only, each line ending in a line end.
func FuzzRewriteSubject(f *testing.F) {
	for _, tc := range subjectCases {
		f.Add(tc.msg, tag)
	}
	f.Fuzz(func(t *testing.T, msg, tag string) {
		fields, cut, err := RewriteSubject(strings.NewReader(msg), tag)
		if err != nil {
			t.Fatal(err)
		}
		end := int64(0)
		for _, c := range cut {
			if c.Start < end || c.End <= c.Start || c.End > int64(len(msg)) {
				t.Fatalf("cut %v after %d in %d bytes", cut, end, len(msg))
			}
			if !strings.EqualFold(msg[c.Start:min(c.Start+8, c.End)], "subject:") {
				t.Fatalf("cut %q", msg[c.Start:c.End])
			}
			end = c.End
		}
		for i, l := range strings.SplitAfter(string(fields), "\n") {
			if l == "" {
				continue
			}
			subj := strings.EqualFold(l[:min(8, len(l))], "subject:") || strings.EqualFold(l[:min(20, len(l))], "x-spam-prev-subject:")
			if !strings.HasSuffix(l, "\n") || i == 0 && !subj || i > 0 && !subj && l[0] != ' ' && l[0] != '\t' {
				t.Fatalf("new field line %q in %q", l, fields)
			}
		}
	})
}
