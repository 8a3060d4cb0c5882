package maillog

import (
	"fmt"
	"strings"
)

// Split: the recipients of one message were decided apart (spam
// preferences per domain or recipient) and did not agree. The line
// names, per recipient in RCPT order, what it got and the ID of its
// copy; the copies' own queued/quarantined lines follow under those IDs.
type Split struct {
	ID    string
	Score float64
	Rcpts []RcptOutcome
}

// RcptOutcome is what one recipient got: Action is the verdict's action
// (accept, tag, quarantine, or reject/discard, which drop the message
// for that recipient), CopyID the copy it gets ("" when dropped).
type RcptOutcome struct {
	Rcpt, Action, CopyID string
}

func (e Split) EventID() string { return e.ID }
func (Split) Kind() string      { return "split" }

func (e Split) Line() string {
	parts := make([]string, len(e.Rcpts))
	for i, r := range e.Rcpts {
		switch r.Action {
		case "accept", "tag", "quarantine":
			parts[i] = fmt.Sprintf("to=<%s> %s (id %s)", r.Rcpt, r.Action, r.CopyID)
		default:
			parts[i] = fmt.Sprintf("to=<%s> dropped (%s)", r.Rcpt, r.Action)
		}
	}
	return fmt.Sprintf("split score=%.1f: %s", e.Score, strings.Join(parts, ", "))
}
