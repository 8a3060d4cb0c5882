// Package maillog writes the classic one-line-per-event mail log that mail
// admins grep (connect, reject with reason, queued, delivered, deferred,
// bounced, "... Eicar-Test-Signature FOUND"), alongside the structured
// slog log. Events are typed so the same words appear everywhere.
//
// # Line format
//
//	2026-11-23T08:48:40Z mx mailwall[1234]: <ID>: <event text>
//
// where <ID> is the queue ID, or the connection ID before a queue ID exists.
package maillog

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// Log writes mail-log lines. Safe for concurrent use. A nil *Log discards.
type Log struct {
	mu   sync.Mutex
	w    io.Writer
	host string
	pid  int
	now  func() time.Time
	sl   *slog.Logger
}

// New returns a Log writing to w (nil: nowhere) and mirroring every event
// to sl at info level (nil: not mirrored).
func New(w io.Writer, host string, sl *slog.Logger) *Log {
	return &Log{w: w, host: host, pid: os.Getpid(), now: time.Now, sl: sl}
}

// Event is one mail-log event.
type Event interface {
	// Line is the text after "<id>: ".
	Line() string
	// ID is the queue or connection ID the line is about.
	EventID() string
	// Kind is a one-word name ("reject", "queued", ...).
	Kind() string
}

// Write logs e.
func (l *Log) Write(e Event) {
	if l == nil {
		return
	}
	line := sanitize(e.Line())
	if l.sl != nil {
		l.sl.Info(line, "event", e.Kind(), "id", e.EventID())
	}
	if l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s %s mailwall[%d]: %s: %s\n",
		l.now().UTC().Format(time.RFC3339), l.host, l.pid, e.EventID(), line)
}

// sanitize keeps one event on one line whatever a client sent.
func sanitize(s string) string {
	if !strings.ContainsAny(s, "\r\n\x00") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`, "\x00", `\0`).Replace(s)
}
