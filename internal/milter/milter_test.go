package milter

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gomilter "github.com/d--j/go-milter"

	"mailwall/internal/gateway"
	"mailwall/internal/scan"
	"mailwall/internal/spool"
	"mailwall/internal/verdict"
)

// keywordScanner finds "EICAR-LIKE" (a virus) and "SPAMMY" (score 8).
type keywordScanner struct{}

func (keywordScanner) Name() string { return "TEST" }
func (keywordScanner) Scan(_ context.Context, t *scan.Task) (*scan.Result, error) {
	buf := make([]byte, t.Size)
	t.Raw.ReadAt(buf, 0)
	res := &scan.Result{Threshold: 5, Headers: []scan.HeaderField{{Name: "X-Virus-Scanned", Value: "mailwall test"}}}
	if strings.Contains(string(buf), "EICAR-LIKE") {
		res.Findings = append(res.Findings, scan.Finding{Symbol: verdict.SymVirus, Detail: "Test.Virus"})
	}
	if strings.Contains(string(buf), "SPAMMY") {
		res.Score = 8
	}
	if strings.Contains(string(buf), "TAGGED") {
		res.Score, res.SubjectTag = 6, "[SPAM]"
	}
	return res, nil
}

func startServer(t *testing.T, vc *verdict.Config) string {
	t.Helper()
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), 1)
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Options{Hostname: "mx.test"}, gateway.Deps{Spool: sp, Scanners: []scan.Scanner{keywordScanner{}}, Verdict: vc})
	s := New(Options{}, gw)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return l.Addr().String()
}

// run sends one message through the milter the way an MTA does.
func run(t *testing.T, addr, body string) ([]gomilter.ModifyAction, *gomilter.Action) {
	t.Helper()
	return runWith(t, addr, body, [][2]string{{"Subject", "test"}})
}

// runWith is run with the given header fields.
func runWith(t *testing.T, addr, body string, fields [][2]string) ([]gomilter.ModifyAction, *gomilter.Action) {
	t.Helper()
	c := gomilter.NewClient("tcp", addr, gomilter.WithActions(gomilter.OptAddHeader|gomilter.OptChangeHeader|gomilter.OptQuarantine))
	s, err := c.Session(gomilter.NewMacroBag())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	steps := []func() (*gomilter.Action, error){
		func() (*gomilter.Action, error) { return s.Conn("client.test", gomilter.FamilyInet, 4000, "192.0.2.9") },
		func() (*gomilter.Action, error) { return s.Helo("client.test") },
		func() (*gomilter.Action, error) { return s.Mail("<a@client.test>", "") },
		func() (*gomilter.Action, error) { return s.Rcpt("<u@example.test>", "") },
		func() (*gomilter.Action, error) { return s.DataStart() },
	}
	for _, f := range fields {
		steps = append(steps, func() (*gomilter.Action, error) { return s.HeaderField(f[0], f[1], nil) })
	}
	steps = append(steps,
		func() (*gomilter.Action, error) { return s.HeaderEnd() },
		func() (*gomilter.Action, error) { return s.BodyChunk([]byte(body)) },
	)
	for i, step := range steps {
		act, err := step()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if act.Type != gomilter.ActionContinue {
			t.Fatalf("step %d: %v", i, act)
		}
	}
	mods, act, err := s.End()
	if err != nil {
		t.Fatal(err)
	}
	return mods, act
}

func TestVerdictsAsMilterReplies(t *testing.T) {
	addr := startServer(t, &verdict.Config{QuarantineScore: 7})
	mods, act := run(t, addr, "hello\r\n")
	if act.Type != gomilter.ActionAccept || len(mods) != 1 || mods[0].HeaderName != "X-Virus-Scanned" {
		t.Errorf("clean: %v %+v", act, mods)
	}
	_, act = run(t, addr, "EICAR-LIKE\r\n")
	if act.Type != gomilter.ActionRejectWithCode || act.SMTPCode != 554 || !strings.Contains(act.SMTPReply, "5.7.1 Virus found: Test.Virus") {
		t.Errorf("virus: %+v", act)
	}
	mods, act = run(t, addr, "SPAMMY\r\n")
	quarantined := false
	for _, m := range mods {
		quarantined = quarantined || m.Type == gomilter.ActionQuarantine
	}
	if act.Type != gomilter.ActionAccept || !quarantined {
		t.Errorf("spam to quarantine: %v %+v", act, mods)
	}
}

// TestSubjectRewrite: a spam the rules tag (rewrite_header Subject) has
// its Subject fields changed in place through the MTA, the old first
// lines kept as X-Spam-Prev-Subject; a message without one gains one.
func TestSubjectRewrite(t *testing.T) {
	addr := startServer(t, &verdict.Config{})
	type change struct {
		typ         gomilter.ModifyActionType
		idx         uint32
		name, value string
	}
	changes := func(mods []gomilter.ModifyAction) (out []change) {
		for _, m := range mods {
			if strings.EqualFold(m.HeaderName, "Subject") || m.HeaderName == "X-Spam-Prev-Subject" {
				out = append(out, change{m.Type, m.HeaderIndex, m.HeaderName, m.HeaderValue})
			}
		}
		return out
	}
	mods, act := runWith(t, addr, "TAGGED\r\n", [][2]string{{"Subject", "hello\r\n\tworld"}, {"From", "a@b"}, {"subject", "[SPAM] again"}})
	want := []change{
		{gomilter.ActionChangeHeader, 1, "Subject", "[SPAM] hello\n\tworld"},
		{gomilter.ActionChangeHeader, 2, "Subject", "[SPAM] again"},
		{gomilter.ActionAddHeader, 0, "X-Spam-Prev-Subject", "hello"},
		{gomilter.ActionAddHeader, 0, "X-Spam-Prev-Subject", "[SPAM] again"},
	}
	if act.Type != gomilter.ActionAccept || !slices.Equal(changes(mods), want) {
		t.Errorf("two Subjects: %v\n got %+v\nwant %+v", act, changes(mods), want)
	}
	mods, _ = runWith(t, addr, "TAGGED\r\n", [][2]string{{"From", "a@b"}})
	want = []change{
		{gomilter.ActionAddHeader, 0, "Subject", "[SPAM] "},
		{gomilter.ActionAddHeader, 0, "X-Spam-Prev-Subject", "(nonexistent)"},
	}
	if got := changes(mods); !slices.Equal(got, want) {
		t.Errorf("no Subject:\n got %+v\nwant %+v", got, want)
	}
	if mods, _ = run(t, addr, "hello\r\n"); len(changes(mods)) != 0 {
		t.Errorf("ham: %+v", changes(mods))
	}
}

func TestCRLF(t *testing.T) {
	for in, want := range map[string]string{"a\n\tb": "a\r\n\tb", "a\r\n\tb": "a\r\n\tb", "a\rb": "a\r\nb", "plain": "plain"} {
		if got := crlf(in); got != want {
			t.Errorf("crlf(%q) = %q, want %q", in, got, want)
		}
	}
}
