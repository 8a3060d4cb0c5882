package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"mailwall/internal/bayes"
	"mailwall/internal/sarules"
	"mailwall/internal/scan/spam"
	"mailwall/internal/store"
)

// autolearnRules: header and body rules worth 6 and 7 points (a 13-point
// spam with enough evidence in both), and a noautolearn rule worth 20.
const autolearnRules = `header HEAD_SPAM Subject =~ /cheap pills/
score HEAD_SPAM 6
body BODY_SPAM /buy now/
score BODY_SPAM 7
body NOAL_SPAM /trust me/
score NOAL_SPAM 20
tflags NOAL_SPAM noautolearn
add_header all Status "_YESNO_, score=_SCORE_ required=_REQD_ tests=_TESTS_ autolearn=_AUTOLEARN_ version=_VERSION_"
`

type autolearnFixture struct {
	c *bayes.Classifier
	e *spam.Engine
}

func newAutolearnFixture(t *testing.T, extra string) autolearnFixture {
	t.Helper()
	st, err := store.Open("bbolt://" + filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := bayes.New(st, bayes.Options{})
	rs, diags := sarules.LoadText(autolearnRules + extra)
	for _, d := range diags {
		if d.Severity == sarules.Error {
			t.Fatalf("%v", d)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &spam.Engine{Rules: rs, Local: true, Bayes: bayesHook{c}, AutoLearn: newAutoLearner(c, true, log)}
	return autolearnFixture{c: c, e: e}
}

func (f autolearnFixture) counts(t *testing.T) (int64, int64) {
	t.Helper()
	s, h, err := f.c.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, h
}

func (f autolearnFixture) check(raw string) *sarules.Result {
	return f.e.Check(context.Background(), sarules.NewMessage([]byte(raw)), f.e.Options())
}

func status(res *sarules.Result) string {
	for _, h := range res.Headers {
		if h.Name == "X-Spam-Status" {
			return h.Value
		}
	}
	return ""
}

const (
	alSpam = "From: a@example.net\nTo: b@example.net\nSubject: cheap pills\n\nbuy now, only today\n"
	alHam  = "From: a@example.net\nTo: b@example.net\nSubject: lunch\n\nsee you at noon\n"
	alNoAL = "From: a@example.net\nTo: b@example.net\nSubject: cheap pills\n\ntrust me\n"
)

func TestAutoLearnSpam(t *testing.T) {
	f := newAutolearnFixture(t, "")
	res := f.check(alSpam)
	if res.Autolearn != "spam autolearn_force=no" || !strings.Contains(status(res), "autolearn=spam autolearn_force=no") {
		t.Fatalf("autolearn %q, status %q", res.Autolearn, status(res))
	}
	if s, h := f.counts(t); s != 1 || h != 0 {
		t.Errorf("counts spam=%d ham=%d, want 1 0", s, h)
	}
	toks := f.c.Tokens(bayes.InputFromRaw([]byte(alSpam)))
	if len(toks) == 0 {
		t.Fatal("no tokens")
	}
	// learned once: the same message again is not learned twice
	if res := f.check(alSpam); !strings.HasPrefix(res.Autolearn, sarules.AutolearnUnavailable) {
		t.Errorf("second time: %q", res.Autolearn)
	}
	if s, _ := f.counts(t); s != 1 {
		t.Errorf("spam count %d after relearn, want 1", s)
	}
}

func TestAutoLearnHam(t *testing.T) {
	f := newAutolearnFixture(t, "")
	res := f.check(alHam)
	if res.Autolearn != "ham autolearn_force=no" {
		t.Fatalf("autolearn %q", res.Autolearn)
	}
	if s, h := f.counts(t); s != 0 || h != 1 {
		t.Errorf("counts spam=%d ham=%d, want 0 1", s, h)
	}
}

// TestAutoLearnNoAutolearnRule: a tflags noautolearn rule's 20 points do
// not count, so the 6 header points alone are between the thresholds.
func TestAutoLearnNoAutolearnRule(t *testing.T) {
	f := newAutolearnFixture(t, "")
	res := f.check(alNoAL)
	if !res.IsSpam || res.Autolearn != "no autolearn_force=no" {
		t.Fatalf("spam %v autolearn %q (points %+v)", res.IsSpam, res.Autolearn, res.AutoLearnPoints())
	}
	if p := res.AutoLearnPoints(); p.Points != 6 || p.Head != 6 || p.Body != 0 {
		t.Errorf("points %+v, want 6 head only", p)
	}
	if s, h := f.counts(t); s != 0 || h != 0 {
		t.Errorf("counts spam=%d ham=%d, want nothing learned", s, h)
	}
}

func TestAutoLearnDisabled(t *testing.T) {
	f := newAutolearnFixture(t, "bayes_auto_learn 0\n")
	if res := f.check(alSpam); res.Autolearn != sarules.AutolearnDisabled || !strings.Contains(status(res), "autolearn=disabled version") {
		t.Errorf("autolearn %q status %q", res.Autolearn, status(res))
	}
	f = newAutolearnFixture(t, "bayes_auto_learn_threshold_spam 20\n")
	if res := f.check(alSpam); res.Autolearn != "no autolearn_force=no" {
		t.Errorf("threshold 20: %q", res.Autolearn)
	}
	if s, h := f.counts(t); s+h != 0 {
		t.Errorf("learned %d+%d with auto-learn off", s, h)
	}
}

// TestAutoLearnBusy: while another message is being learned, a message
// is not learned and waits for nothing.
func TestAutoLearnBusy(t *testing.T) {
	f := newAutolearnFixture(t, "")
	al := f.e.AutoLearn.(*autoLearner)
	al.busy <- struct{}{}
	res := f.check(alSpam)
	<-al.busy
	if res.Autolearn != "unavailable autolearn_force=no" {
		t.Errorf("autolearn %q", res.Autolearn)
	}
}

// TestSpamdProcessRewrites: spamd PROCESS returns the message rewritten
// with the rules' report_safe (1: the spam is attached to a report) and
// REPORT the report template.
func TestSpamdProcessRewrites(t *testing.T) {
	f := newAutolearnFixture(t, "report_safe 1\nclear_report_template\nreport Spam, _SCORE_ points.\n")
	var cur atomic.Pointer[spam.Engine]
	cur.Store(f.e)
	v, err := spamdChecker{cur: &cur}.Check(context.Background(), []byte(alSpam), "")
	if err != nil {
		t.Fatal(err)
	}
	v.Render(v) // as the server does for PROCESS and REPORT
	if !v.IsSpam || v.Report != "Spam, 13.0 points.\n\n" {
		t.Errorf("spam %v report %q", v.IsSpam, v.Report)
	}
	m, err := mail.ReadMessage(bytes.NewReader(v.Processed))
	if err != nil {
		t.Fatal(err)
	}
	mt, _, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if mt != "multipart/mixed" || !strings.Contains(m.Header.Get("X-Spam-Status"), "autolearn=spam") {
		t.Errorf("processed:\n%s", v.Processed)
	}
	if !bytes.Contains(v.Processed, []byte("Content-Type: message/rfc822; x-spam-type=original\n")) ||
		!bytes.Contains(v.Processed, []byte(alSpam)) {
		t.Errorf("original not attached:\n%s", v.Processed)
	}
}

// TestTellThenAutoLearn: a message taught over spamd TELL with CRLF line
// ends is the same message to auto-learning, which then leaves it alone.
func TestTellThenAutoLearn(t *testing.T) {
	f := newAutolearnFixture(t, "")
	crlf := strings.ReplaceAll(alHam, "\n", "\r\n")
	if err := (bayesLearner{f.c}).Learn(context.Background(), []byte(crlf), true, false); err != nil {
		t.Fatal(err)
	}
	if res := f.check(alHam); !strings.HasPrefix(res.Autolearn, sarules.AutolearnUnavailable) {
		t.Errorf("autolearn %q after TELL", res.Autolearn)
	}
	if s, h := f.counts(t); s != 1 || h != 0 {
		t.Errorf("counts spam=%d ham=%d, want the TELL only", s, h)
	}
}
