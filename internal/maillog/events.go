package maillog

import (
	"fmt"
	"strings"
	"time"
)

// Connect: a client connected.
type Connect struct {
	ConnID, Client, Hostname string
}

// Disconnect: a client went away.
type Disconnect struct {
	ConnID, Client string
	Messages       int
}

// Rejected: a command or message was refused.
type Rejected struct {
	ID, Stage, Client, From, Rcpt string
	User                          string // authenticated account, if any
	Code                          int
	Enhanced, Text, Reason        string
}

// Queued: a message was accepted.
type Queued struct {
	ID, Client, From string
	To               []string
	Size             int64
	Score            float64
	Action           string
}

// Delivered: a recipient's copy was handed over.
type Delivered struct {
	ID, Rcpt, Relay, Reply string
	Delay                  time.Duration
}

// Deferred: a delivery attempt failed temporarily.
type Deferred struct {
	ID, Rcpt, Relay, Reason string
	Delay                   time.Duration
}

// Bounced: a recipient failed for good; a DSN was sent (or not, for <>).
type Bounced struct {
	ID, Rcpt, Relay, Reason string
}

// VirusFound: the antivirus named a signature.
type VirusFound struct {
	ID, Name, Client string
}

// Discarded: a message was accepted and dropped by policy.
type Discarded struct {
	ID, Reason string
}

// Quarantined: a message was put aside.
type Quarantined struct {
	ID, Reason string
	Score      float64
}

// Warning: something the admin should see (rate limit hit by an account...).
type Warning struct {
	ID, Text string
}

func (e Connect) EventID() string    { return e.ConnID }
func (e Disconnect) EventID() string { return e.ConnID }
func (e Rejected) EventID() string   { return e.ID }
func (e Queued) EventID() string     { return e.ID }
func (e Delivered) EventID() string  { return e.ID }
func (e Deferred) EventID() string   { return e.ID }
func (e Bounced) EventID() string    { return e.ID }
func (e VirusFound) EventID() string { return e.ID }
func (e Discarded) EventID() string  { return e.ID }
func (e Quarantined) EventID() string {
	return e.ID
}
func (e Warning) EventID() string { return e.ID }

func (Connect) Kind() string     { return "connect" }
func (Disconnect) Kind() string  { return "disconnect" }
func (Rejected) Kind() string    { return "reject" }
func (Queued) Kind() string      { return "queued" }
func (Delivered) Kind() string   { return "delivered" }
func (Deferred) Kind() string    { return "deferred" }
func (Bounced) Kind() string     { return "bounced" }
func (VirusFound) Kind() string  { return "virus" }
func (Discarded) Kind() string   { return "discarded" }
func (Quarantined) Kind() string { return "quarantined" }
func (Warning) Kind() string     { return "warning" }

func (e Connect) Line() string {
	if e.Hostname != "" {
		return fmt.Sprintf("connect from %s[%s]", e.Hostname, e.Client)
	}
	return fmt.Sprintf("connect from unknown[%s]", e.Client)
}

func (e Disconnect) Line() string {
	return fmt.Sprintf("disconnect from [%s] messages=%d", e.Client, e.Messages)
}

func (e Rejected) Line() string {
	s := fmt.Sprintf("reject: %s from [%s]: %d %s %s; reason=%s; from=<%s>",
		e.Stage, e.Client, e.Code, e.Enhanced, e.Text, e.Reason, e.From)
	if e.Rcpt != "" {
		s += fmt.Sprintf(" to=<%s>", e.Rcpt)
	}
	if e.User != "" {
		s += fmt.Sprintf(" sasl_username=%s", e.User)
	}
	return s
}

func (e Queued) Line() string {
	return fmt.Sprintf("queued from=<%s>, size=%d, nrcpt=%d (%s), client=[%s], score=%.1f, action=%s",
		e.From, e.Size, len(e.To), strings.Join(e.To, ","), e.Client, e.Score, e.Action)
}

func (e Delivered) Line() string {
	return fmt.Sprintf("to=<%s>, relay=%s, delay=%.2f, status=sent (%s)", e.Rcpt, e.Relay, e.Delay.Seconds(), e.Reply)
}

func (e Deferred) Line() string {
	return fmt.Sprintf("to=<%s>, relay=%s, delay=%.2f, status=deferred (%s)", e.Rcpt, e.Relay, e.Delay.Seconds(), e.Reason)
}

func (e Bounced) Line() string {
	return fmt.Sprintf("to=<%s>, relay=%s, status=bounced (%s)", e.Rcpt, e.Relay, e.Reason)
}

func (e VirusFound) Line() string {
	return fmt.Sprintf("%s FOUND (client=[%s])", e.Name, e.Client)
}

func (e Discarded) Line() string { return "discarded: " + e.Reason }

func (e Quarantined) Line() string {
	return fmt.Sprintf("quarantined: %s, score=%.1f", e.Reason, e.Score)
}

func (e Warning) Line() string { return "warning: " + e.Text }
