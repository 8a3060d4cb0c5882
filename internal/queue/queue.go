// Package queue keeps durable per-recipient delivery records for messages in
// the spool and drives their delivery: retries on a schedule, gives up with
// an RFC 3464 bounce (DSN), and removes a message once every recipient is
// done.
//
// # Durability
//
// Enqueue returns only after the record is committed to the bbolt database
// (which fsyncs on commit); concurrent Enqueue calls and record updates
// share commits (see group.go). Together with spool.Writer.Commit this is
// what must happen before the SMTP layer replies 250 (RFC 5321 6.1).
// Delivery is at least once: a crash between a successful delivery and the
// record update delivers that recipient again after restart.
//
// # Damage
//
// Each record stores the size and CRC-32C of the spooled message. Before
// every delivery attempt the spool file is checked against them; a file
// that is missing, truncated or altered is moved to the spool's corrupt/
// directory and its record to the "corrupt" bucket, an Event of kind
// "corrupt" is reported, and nothing is delivered. A record that cannot be
// decoded is moved aside the same way when the queue opens.
package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"mailwall/internal/spool"
)

// Deliverer sends one message to one next hop.
//
// Deliver is called concurrently from several goroutines, for different
// messages and next hops. rcpts all share nextHop; for nextHop "mx" they also
// share one domain. msg yields the message to send (our prefix, the spooled
// bytes without the skipped ranges, the suffix: see "Edits" in edit.go);
// Deliver reads it at most once and must not retain it after
// returning. Deliver returns one Result per recipient it has a result for;
// a recipient without a Result counts as a temporary failure. It must
// return promptly when ctx is done. A panic is recovered, logged and
// counted as a temporary failure of every recipient.
type Deliverer interface {
	Deliver(ctx context.Context, nextHop, from string, rcpts []string, msg io.Reader) []Result
}

// Result is the outcome of one delivery attempt for one recipient.
type Result struct {
	Rcpt      string
	Code      int    // SMTP reply code, 0 when no reply was received
	Enhanced  string // RFC 3463 code such as "5.1.1", "" when none
	Text      string // reply text (or a description of the failure)
	Err       error  // nil means delivered
	Permanent bool   // with Err: do not retry, bounce now
}

// Recipient is one envelope recipient with its route.
type Recipient struct {
	Addr string
	// NextHop as in the config: "smtp://host:port", "lmtp://host:port",
	// "lmtp:unix:/path", "maildir:///path" or "mx".
	NextHop string
}

// Event reports something that happened to a queued message; the caller
// writes it to the mail log. Kinds: "delivered", "deferred", "bounced"
// (permanent failure), "expired" (gave up), "corrupt" (damaged spool file
// or record; Rcpt is empty).
type Event struct {
	Kind     string
	ID       string
	Rcpt     string
	Relay    string        // next hop
	Reply    string        // last reply or error text
	Delay    time.Duration // since arrival
	Attempts int
	DSN      string // queue ID of the bounce generated, if any
}

// EventFunc receives events. It is called from delivery goroutines, possibly
// concurrently, and must not block for long.
type EventFunc func(Event)

// Config tunes the queue. Zero values take the defaults noted.
type Config struct {
	// Retry is the wait after the 1st, 2nd, ... failed attempt; after its
	// end the last interval repeats. Default 1m 5m 15m 30m 1h 2h 4h.
	Retry []time.Duration
	// GiveUp is how long after arrival a temporarily failing recipient
	// bounces. Default 120h (5 days, as Postfix's maximal_queue_lifetime).
	GiveUp time.Duration
	// Hostname names us in DSNs (Reporting-MTA, MAILER-DAEMON address).
	Hostname string
	// Concurrency caps deliveries in progress; default 50.
	Concurrency int
	// PerDestination caps deliveries in progress to one next hop (one
	// domain for "mx"); default 20 (Postfix's destination concurrency).
	PerDestination int
	// Route picks the next hop of a bounce addressed to the sender;
	// default: "mx" for every address.
	Route func(addr string) string
	// Drain is how long attempts in progress may go on after Run's context
	// is done; default 10s. An attempt cut short counts as not made.
	Drain time.Duration
	// Now is the clock; default time.Now. Tests inject one.
	Now func() time.Time
}

var defaultRetry = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour,
}

func (c *Config) setDefaults() {
	if len(c.Retry) == 0 {
		c.Retry = defaultRetry
	}
	if c.GiveUp <= 0 {
		c.GiveUp = 120 * time.Hour
	}
	if c.Hostname == "" {
		c.Hostname = "localhost"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 50
	}
	if c.PerDestination <= 0 {
		c.PerDestination = 20
	}
	if c.Route == nil {
		c.Route = func(string) string { return "mx" }
	}
	if c.Drain <= 0 {
		c.Drain = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Queue is the delivery queue. Its methods are safe for concurrent use.
type Queue struct {
	db     *bolt.DB
	sp     *spool.Spool
	d      Deliverer
	cfg    Config
	log    *slog.Logger
	events EventFunc

	mu       sync.Mutex
	msgs     map[string]*record  // pending messages, mirror of the db
	ready    map[string][]string // group key: IDs with due recipients there, FIFO
	queued   map[string]bool     // id + "\x00" + group key: in ready
	busy     map[string]bool     // id + "\x00" + group key: attempt running
	timers   timerHeap           // when not-yet-due recipients become due
	destBusy map[string]int      // group key: attempts running
	active   int
	wake     chan struct{}
	workers  sync.WaitGroup
	group    groupCommit
}

// Open opens (creating if needed) the queue database at path over the spool
// sp and loads every pending record; Run then resumes their delivery.
// log and events may be nil.
func Open(path string, sp *spool.Spool, d Deliverer, cfg Config, log *slog.Logger, events EventFunc) (*Queue, error) {
	cfg.setDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if events == nil {
		events = func(Event) {}
	}
	// Timeout: a second process (e.g. the CLI while serve runs) gets an
	// error instead of waiting forever for bbolt's file lock.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}
	q := &Queue{
		db: db, sp: sp, d: d, cfg: cfg, log: log, events: events,
		msgs:     map[string]*record{},
		ready:    map[string][]string{},
		queued:   map[string]bool{},
		busy:     map[string]bool{},
		destBusy: map[string]int{},
		wake:     make(chan struct{}, 1),
	}
	if err := q.load(); err != nil {
		db.Close()
		return nil, err
	}
	return q, nil
}

// Close closes the database. Call it after Run returned.
func (q *Queue) Close() error {
	q.workers.Wait()
	if err := q.db.Close(); err != nil {
		return fmt.Errorf("queue: close: %w", err)
	}
	return nil
}

// poke wakes Run without blocking.
func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// ErrUnknown means no queued message has the given ID.
var ErrUnknown = errors.New("queue: no such message")
