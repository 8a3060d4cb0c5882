package policy

import (
	"sync"

	"mailwall/internal/envelope"
)

// maxTracked bounds the per-connection counters if a front end forgets to
// call Disconnect; far above any sane max_connections.
const maxTracked = 100_000

// connState counts errors and unknown recipients per live connection.
type connState struct {
	mu sync.Mutex
	m  map[*envelope.Conn]*connCounts
}

type connCounts struct{ errors, unknown int }

func newConnState() *connState { return &connState{m: map[*envelope.Conn]*connCounts{}} }

func (s *connState) bump(c *envelope.Conn, unknown bool) (errors, unknowns int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.m[c]
	if n == nil {
		if len(s.m) >= maxTracked {
			clear(s.m)
		}
		n = &connCounts{}
		s.m[c] = n
	}
	if unknown {
		n.unknown++
	} else {
		n.errors++
	}
	return n.errors, n.unknown
}

// NoteError records a client error (bad command, refused recipient,
// syntax error) and reports whether the client must now be dropped
// (421 4.7.0, as Postfix's smtpd_hard_error_limit does).
func (e *Engine) NoteError(c *envelope.Conn) bool {
	n, _ := e.conns.bump(c, false)
	if e.cfg.MaxErrors > 0 && n >= e.cfg.MaxErrors {
		e.log.Warn("too many errors, disconnecting", "conn", c.ID, "ip", c.IP(), "errors", n)
		return true
	}
	return false
}

// NoteUnknownRcpt records a recipient refused as unknown and reports
// whether the client must be dropped (a directory harvest attack).
func (e *Engine) NoteUnknownRcpt(c *envelope.Conn) bool {
	_, n := e.conns.bump(c, true)
	if e.cfg.MaxUnknownRcpts > 0 && n >= e.cfg.MaxUnknownRcpts {
		e.log.Warn("too many unknown recipients, disconnecting", "conn", c.ID, "ip", c.IP(), "unknown", n)
		return true
	}
	return false
}

// Disconnect forgets the counters of c; call it when the session ends.
func (e *Engine) Disconnect(c *envelope.Conn) {
	e.conns.mu.Lock()
	delete(e.conns.m, c)
	e.conns.mu.Unlock()
}
