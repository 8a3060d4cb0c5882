// Package gateway is the orchestrator: it runs the stages of one SMTP
// transaction in their one fixed order, for every front end (SMTP server,
// milter):
//
//	connect → conn policy → HELO/MAIL/RCPT policy → DATA → spool (fsync)
//	        → parse once → scanners in parallel → verdict → action → queue
//
// Users choose which rules and scanners run, never the order of the stages.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"mailwall/internal/envelope"
	"mailwall/internal/maillog"
	"mailwall/internal/mime"
	"mailwall/internal/quarantine"
	"mailwall/internal/queue"
	"mailwall/internal/scan"
	"mailwall/internal/spool"
	"mailwall/internal/verdict"
)

// Policy is the pre-DATA rule chain (package policy implements it through
// an adapter in main). Each method returns nil to go on, an *smtp.Error to
// refuse, or ErrDiscard (wrapping nothing) to accept and silently drop the
// message. Methods may be called concurrently for different connections.
type Policy interface {
	Connect(ctx context.Context, c *envelope.Conn) error
	Helo(ctx context.Context, c *envelope.Conn) error
	// Mail decides on env.From (env.Rcpts is empty).
	Mail(ctx context.Context, c *envelope.Conn, env *envelope.Envelope) error
	// Rcpt parses raw (the text inside <...>) and decides; it returns the
	// parsed address. env holds the transaction so far.
	Rcpt(ctx context.Context, c *envelope.Conn, env *envelope.Envelope, raw string) (envelope.Address, error)
	// Data is called at the end of DATA, before anything is scanned
	// (rate limits).
	Data(ctx context.Context, c *envelope.Conn, env *envelope.Envelope) error
	Authenticate(ctx context.Context, c *envelope.Conn, user, pass string) error
	// TooManyErrors records one refused command; true means disconnect.
	TooManyErrors(c *envelope.Conn) bool
	// Disconnect is called once when the connection ends.
	Disconnect(c *envelope.Conn)
}

// ErrDiscard from a Policy method accepts the message and drops it.
var ErrDiscard = errors.New("discard")

// Options are the gateway's own settings.
type Options struct {
	Hostname            string
	MaxMessageSize      int64
	MaxRecipients       int
	MaxReceived         int           // more Received headers than this is a loop
	ScanTimeout         time.Duration // per scanner
	RefuseAmbiguousMIME bool
	Routes              *Router
}

// Gateway holds what every session shares. It is immutable once built;
// reload builds a new one and swaps it in (in-flight sessions keep theirs).
type Gateway struct {
	opts       Options
	policy     Policy
	spool      *spool.Spool
	queue      *queue.Queue
	quarantine *quarantine.Store
	scanners   []scan.Scanner
	verdict    *verdict.Config
	log        *slog.Logger
	mlog       *maillog.Log
	stats      *Stats
}

// Stats are counters exported on /metrics. Shared across reloads.
type Stats struct {
	Connections, Messages, Rejected, TempFailed, Discarded, Quarantined, Viruses, Spam atomic.Int64
}

// Deps are the parts a Gateway is built from.
type Deps struct {
	Policy Policy
	Spool  *spool.Spool
	Queue  *queue.Queue
	// Quarantine keeps messages the verdict puts aside; nil refuses
	// (451) such messages.
	Quarantine *quarantine.Store
	Scanners   []scan.Scanner
	Verdict    *verdict.Config
	Log        *slog.Logger
	MailLog    *maillog.Log
	Stats      *Stats
}

// New builds a Gateway.
func New(o Options, d Deps) *Gateway {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Stats == nil {
		d.Stats = &Stats{}
	}
	if d.Verdict == nil {
		d.Verdict = &verdict.Config{}
	}
	if o.ScanTimeout <= 0 {
		o.ScanTimeout = 2 * time.Minute
	}
	return &Gateway{opts: o, policy: d.Policy, spool: d.Spool, queue: d.Queue, quarantine: d.Quarantine,
		scanners: d.Scanners, verdict: d.Verdict, log: d.Log, mlog: d.MailLog, stats: d.Stats}
}

// Stats returns the counters.
func (g *Gateway) Stats() *Stats { return g.stats }

// mimeLimits bound parsing (package mime defaults).
var mimeLimits = mime.Limits{}

// Router maps a recipient domain to a next hop.
type Router struct {
	exact    map[string]string
	wildcard []suffixRoute
	def      string
}

type suffixRoute struct{ suffix, hop string }

// NewRouter builds a Router from (domains, next hop) pairs: "example.test"
// matches that domain, ".example.test" or "*.example.test" its subdomains,
// "*" everything else.
func NewRouter(routes [][2]string) *Router {
	r := &Router{exact: map[string]string{}}
	for _, rt := range routes {
		d, hop := strings.ToLower(rt[0]), rt[1]
		switch {
		case d == "*":
			if r.def == "" {
				r.def = hop
			}
		case strings.HasPrefix(d, "*."):
			r.wildcard = append(r.wildcard, suffixRoute{d[1:], hop})
		case strings.HasPrefix(d, "."):
			r.wildcard = append(r.wildcard, suffixRoute{d, hop})
		default:
			if _, ok := r.exact[d]; !ok {
				r.exact[d] = hop
			}
		}
	}
	return r
}

// NextHop returns the next hop for domain ("" if no route matches).
func (r *Router) NextHop(domain string) string {
	domain = strings.ToLower(domain)
	if h, ok := r.exact[domain]; ok {
		return h
	}
	for _, w := range r.wildcard {
		if strings.HasSuffix(domain, w.suffix) {
			return w.hop
		}
	}
	return r.def
}
