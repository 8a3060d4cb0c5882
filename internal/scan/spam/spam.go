// Package spam wraps the SpamAssassin-compatible rule engine
// (internal/sarules) as a scan.Scanner: every rule that fires is a finding
// with its score, and the X-Spam-* headers of add_header are returned for
// the action stage. The engine decides nothing: verdict compares the
// score with the configured thresholds.
package spam

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"

	"mailwall/internal/sarules"
	"mailwall/internal/scan"
)

// Engine is a scan.Scanner over a loaded Ruleset. Scan is safe for
// concurrent use; the Ruleset is never mutated.
type Engine struct {
	Rules *sarules.Ruleset
	// Local disables network rules (DNS blocklists), as spamassassin -L.
	Local bool
	// MaxBytes: larger messages are not checked (no findings); 0 = no limit.
	MaxBytes int64
	// Skip are client networks whose mail is not checked.
	Skip []netip.Prefix
	// Bayes and DNS are optional hooks for the engine.
	Bayes sarules.BayesHook
	DNS   sarules.DNSHook
	// DNSTimeout bounds the network rules' look-ups of one message
	// (0 = the engine's default).
	DNSTimeout time.Duration
	// AutoLearn, when set, sees every finished check (Bayes auto-learning).
	AutoLearn AutoLearner
	// ReportSafe is SpamAssassin's report_safe for the pipeline: 0 adds
	// X-Spam-Report to a spam's headers; 1 and 2 offer the action stage
	// a Wrap with the original attached as message/rfc822 or text/plain.
	ReportSafe int
	// Gateway is mailwall's own trust for the rules' trust path: its
	// trusted networks and hostname. Scan adds the SMTP client's hop.
	Gateway sarules.Gateway
}

// AutoLearner trains a classifier from a finished check, as
// SpamAssassin's bayes_auto_learn: it decides from res whether m is
// clear enough to learn, learns it or not, and records the outcome with
// res.SetAutolearn before the headers are used. It is called from the
// scanning goroutine, concurrently for many messages, and must return
// within ctx; it must not keep m or res after returning.
type AutoLearner interface {
	AutoLearn(ctx context.Context, m *sarules.Message, res *sarules.Result)
}

var _ scan.Scanner = (*Engine)(nil)

// Name implements scan.Scanner.
func (e *Engine) Name() string { return "SPAM" }

// Scan implements scan.Scanner.
func (e *Engine) Scan(ctx context.Context, t *scan.Task) (*scan.Result, error) {
	if e.skipped(t) {
		return &scan.Result{}, nil
	}
	raw, err := readAll(t.Raw, t.Size)
	if err != nil {
		return nil, fmt.Errorf("spam: read message: %w", err)
	}
	m := sarules.NewMessage(raw)
	if t.Env != nil {
		m.EnvelopeFrom = t.Env.From.String()
		for _, r := range t.Env.Rcpts {
			m.Rcpts = append(m.Rcpts, r.String())
		}
	}
	o := sarules.CheckOptions{Local: e.Local, Bayes: e.Bayes, DNS: e.DNS, DNSTimeout: e.DNSTimeout}
	if t.Conn != nil && t.Env != nil {
		// SPF and DMARC check the real envelope, not what headers claim
		o.Envelope = &sarules.Envelope{IP: t.Conn.IP(), Helo: t.Conn.Helo, MailFrom: t.Env.From.String()}
	}
	gw := e.Gateway
	if t.Conn != nil {
		// the hop our Received header records, as SpamAssassin would see it
		gw.IP, gw.Helo, gw.RDNS, gw.AuthUser = t.Conn.IP(), t.Conn.Helo, t.Conn.Hostname, t.Conn.AuthUser
	}
	o.Gateway = &gw
	res := e.Check(ctx, m, o)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("spam: %w", err)
	}
	out := toResult(res, e.ReportSafe)
	if head, tail, ok := res.Encapsulate(raw, e.ReportSafe, time.Now()); ok {
		out.Wrap = &scan.Wrap{Head: head, Tail: tail}
	}
	return out, nil
}

// Check scores m with the engine's rules and auto-learns from the result.
func (e *Engine) Check(ctx context.Context, m *sarules.Message, o sarules.CheckOptions) *sarules.Result {
	res := e.Rules.Check(ctx, m, o)
	if e.AutoLearn != nil && ctx.Err() == nil {
		e.AutoLearn.AutoLearn(ctx, m, res)
	}
	return res
}

// Options are the check options of a message without an SMTP envelope
// (spamd).
func (e *Engine) Options() sarules.CheckOptions {
	gw := e.Gateway
	return sarules.CheckOptions{Local: e.Local, Bayes: e.Bayes, DNS: e.DNS, DNSTimeout: e.DNSTimeout, Gateway: &gw}
}

func (e *Engine) skipped(t *scan.Task) bool {
	if e.MaxBytes > 0 && t.Size > e.MaxBytes {
		return true
	}
	if t.Conn == nil {
		return false
	}
	ip := t.Conn.IP()
	for _, p := range e.Skip {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func readAll(r io.ReaderAt, size int64) ([]byte, error) {
	if r == nil || size <= 0 {
		return nil, nil
	}
	buf := make([]byte, size)
	n, err := r.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return buf[:n], nil
}

// toResult turns rule hits into findings; Score and Threshold carry the
// engine's own total and required_score, SubjectTag the rules'
// rewrite_header Subject.
func toResult(res *sarules.Result, reportSafe int) *scan.Result {
	out := &scan.Result{Score: res.Score, Threshold: res.Required, SubjectTag: res.SubjectTag}
	for _, h := range res.Hits {
		out.Findings = append(out.Findings, scan.Finding{Symbol: h.Name, Score: h.Score, Detail: h.Description})
	}
	for _, h := range res.HeadersFor(reportSafe) {
		out.Headers = append(out.Headers, scan.HeaderField{Name: h.Name, Value: h.Value})
	}
	return out
}
