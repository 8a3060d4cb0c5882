// Package scan defines what a content scanner is and runs scanners in
// parallel over one message.
//
// Scanners report findings; they never decide what happens to a message
// (package verdict decides, package action acts). A scanner that fails,
// times out or panics yields a "<NAME>_FAIL" finding, never "clean".
package scan

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"mailwall/internal/envelope"
	"mailwall/internal/mime"
)

// Scanner inspects one message.
//
// Scan may be called concurrently for different tasks and concurrently with
// other scanners on the same task. It must treat the Task as read-only. It
// must return promptly when ctx is done. A panic inside Scan is recovered by
// Run and reported as a <NAME>_FAIL finding.
type Scanner interface {
	// Name is a short upper-case name, e.g. "CLAM_VIRUS" or "SPAM";
	// it prefixes the _FAIL finding.
	Name() string
	Scan(ctx context.Context, t *Task) (*Result, error)
}

// Task is one message to scan. Everything in it is read-only.
type Task struct {
	ID   string // queue ID
	Conn *envelope.Conn
	Env  *envelope.Envelope
	Msg  *mime.Message
	Raw  io.ReaderAt // the message as received (without our added headers)
	Size int64
}

// Finding is one thing a scanner observed.
type Finding struct {
	Symbol string  // e.g. "CLAM_VIRUS", "BAYES_99", "CLAM_VIRUS_FAIL"
	Score  float64 // contribution to the spam score (0 for non-spam findings)
	Detail string  // e.g. the virus name, the rule description
}

// HeaderField is a header a scanner wants added when the message is kept
// (e.g. X-Spam-Status). Values must not contain CR or LF; action enforces it.
type HeaderField struct{ Name, Value string }

// Result is what one scanner returns.
type Result struct {
	Findings []Finding
	Headers  []HeaderField
	// Score is the scanner's total when it computes its own (the spam
	// engine); verdict sums Finding scores when it is zero.
	Score float64
	// Threshold is the scanner's own required score (spam), 0 if none.
	Threshold float64
	// Wrap, when set, is how the scanner would wrap a message the
	// verdict tags as spam (SpamAssassin's report_safe): Head, then the
	// spooled message unchanged, then Tail. The action stage decides
	// whether to use it.
	Wrap *Wrap
	// SubjectTag, when set, is the text the scanner would put in front
	// of the Subject of a message the verdict tags as spam
	// (SpamAssassin's rewrite_header Subject). The action stage decides
	// whether to use it; a Wrap, when used, carries its own Subject.
	SubjectTag string
}

// Wrap is a new message around an unchanged one. Head holds the new
// header section (CRLF line endings) and everything up to the original.
type Wrap struct{ Head, Tail []byte }

// Report is the outcome of Run: one Result per scanner, in scanner order.
type Report struct {
	Scanners []string
	Results  []*Result
	Elapsed  []time.Duration
}

// Findings returns every finding of every scanner, in scanner order.
func (r *Report) Findings() []Finding {
	var out []Finding
	for _, res := range r.Results {
		if res != nil {
			out = append(out, res.Findings...)
		}
	}
	return out
}

// Has reports whether any finding has the given symbol.
func (r *Report) Has(symbol string) (Finding, bool) {
	for _, f := range r.Findings() {
		if f.Symbol == symbol {
			return f, true
		}
	}
	return Finding{}, false
}

// Failed reports the _FAIL findings.
func (r *Report) Failed() []Finding {
	var out []Finding
	for _, f := range r.Findings() {
		if strings.HasSuffix(f.Symbol, "_FAIL") {
			out = append(out, f)
		}
	}
	return out
}

// Run runs every scanner on t in parallel, each with its own timeout.
// It returns when all have answered or timed out.
func Run(ctx context.Context, t *Task, scanners []Scanner, timeout time.Duration) *Report {
	rep := &Report{
		Scanners: make([]string, len(scanners)),
		Results:  make([]*Result, len(scanners)),
		Elapsed:  make([]time.Duration, len(scanners)),
	}
	done := make(chan int, len(scanners))
	for i, s := range scanners {
		rep.Scanners[i] = s.Name()
		go func() {
			start := time.Now()
			res := runOne(ctx, t, s, timeout)
			rep.Results[i] = res
			rep.Elapsed[i] = time.Since(start)
			done <- i
		}()
	}
	for range scanners {
		<-done
	}
	return rep
}

// runOne runs s with a timeout; a scanner that does not return in time is
// abandoned (its goroutine finishes on its own once it notices ctx).
func runOne(ctx context.Context, t *Task, s Scanner, timeout time.Duration) *Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type answer struct {
		res *Result
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- answer{err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
			}
		}()
		res, err := s.Scan(ctx, t)
		ch <- answer{res, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			return failed(s.Name(), a.err)
		}
		if a.res == nil {
			a.res = &Result{}
		}
		return a.res
	case <-ctx.Done():
		return failed(s.Name(), fmt.Errorf("timeout after %v: %w", timeout, ctx.Err()))
	}
}

func failed(name string, err error) *Result {
	return &Result{Findings: []Finding{{Symbol: name + "_FAIL", Detail: err.Error()}}}
}
