// Package spamd speaks SpamAssassin's spamd protocol (SPAMC/1.5), so the
// spamc client and MTA plug-ins that call spamd can use mailwall's spam
// engine unchanged (DESIGN.md, deployment 4). The server answers byte for
// byte as spamd 4.0 does; the client is what mailwall's tests and tools use
// to talk to either.
//
// The package knows nothing of rules or Bayes: it calls a Checker and a
// Learner, which the caller wires to the engines.
package spamd

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Checker scores one message.
//
// Check is called from many connections at once and must be safe for
// concurrent use. msg is the message as the client sent it (decompressed);
// Check must not keep or change it after returning. user is the User:
// header ("" when absent). An error is answered EX_SOFTWARE without its
// text; a panic in Check is recovered and answered the same way.
type Checker interface {
	Check(ctx context.Context, msg []byte, user string) (*Verdict, error)
}

// Verdict is a Checker's answer.
type Verdict struct {
	IsSpam    bool
	Score     float64
	Threshold float64  // required_score
	Symbols   []string // names of the rules that hit; sent sorted, comma-joined
	Report    string   // the report template filled in (REPORT, REPORT_IFSPAM)
	Processed []byte   // the message with headers added / report_safe applied (PROCESS)
	Headers   []byte   // the header block of Processed with its blank line (HEADERS); nil = cut from Processed
	// Render, when set, fills Report, Processed and Headers; it is called
	// only for the methods that send them (REPORT, REPORT_IFSPAM, PROCESS,
	// HEADERS), so CHECK and SYMBOLS do not pay for rendering. It runs
	// before Check's msg is released.
	Render func(v *Verdict)
}

// Learner trains the classifier for TELL.
//
// Learn is called concurrently. spam tells the class (Message-class);
// forget asks to remove the message instead. Return ErrUnchanged when the
// message was already learned as asked (or was never learned, for forget):
// the reply then reports nothing done, as spamd does.
type Learner interface {
	Learn(ctx context.Context, msg []byte, spam bool, forget bool) error
}

// ErrUnchanged is returned by a Learner that had nothing to do.
var ErrUnchanged = errors.New("spamd: nothing learned")

// Options tune a Server. Zero fields take the defaults.
type Options struct {
	// ReadTimeout bounds reading one request with its body; spamd's
	// --timeout-tcp, default 30s.
	ReadTimeout time.Duration
	// CheckTimeout bounds one Check or Learn; spamd's --timeout-child,
	// default 300s.
	CheckTimeout time.Duration
	// MaxSize is the largest message accepted, after decompression;
	// default 10 MiB (spamc itself sends at most 500 KiB by default).
	MaxSize int64
	// MaxConns bounds concurrent connections; further ones wait in the
	// listen backlog. Default 64.
	MaxConns int
	// Logger receives one line per request; nil = slog.Default().
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 30 * time.Second
	}
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = 300 * time.Second
	}
	if o.MaxSize <= 0 {
		o.MaxSize = 10 << 20
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 64
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// sysexits.h codes spamd answers with.
const (
	exOK          = 0
	exSoftware    = 70
	exUnavailable = 69
	exProtocol    = 76
	exTimeout     = 79
)
