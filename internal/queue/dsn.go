package queue

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// # Bounce format (RFC 3464, RFC 6522)
//
// A bounce is a multipart/report; report-type=delivery-status message from
// the null sender <> to the original sender, with three parts: a text/plain
// explanation, a message/delivery-status part (per-message fields, then one
// block per failed recipient: Final-Recipient, Action: failed, Status,
// Diagnostic-Code, Last-Attempt-Date) and the original header section as
// text/rfc822-headers. It carries Auto-Submitted: auto-replied (RFC 3834).
// Only headers are returned, never the body, so a bounce cannot be used to
// reflect large or harmful content. A message from <> never bounces (RFC
// 5321 6.1), which also prevents bounce loops.

// failure is a recipient that failed for good in one attempt.
type failure struct {
	index   int
	rcpt    rcptRec
	code    int
	expired bool
}

// maxBouncedHeaders bounds the original headers returned in a bounce.
const maxBouncedHeaders = 64 << 10

// bounce writes one DSN for fails into the spool and queues it to r.From.
// It returns the DSN's queue ID.
func (q *Queue) bounce(r *record, fails []failure) (string, error) {
	w, err := q.sp.Create()
	if err != nil {
		return "", fmt.Errorf("bounce %s: %w", r.ID, err)
	}
	q.writeDSN(w, r, fails, q.originalHeaders(r))
	if err := w.Commit(); err != nil {
		return "", fmt.Errorf("bounce %s: %w", r.ID, err)
	}
	rcpt := []Recipient{{Addr: r.From, NextHop: q.cfg.Route(r.From)}}
	// Not the attempt's ctx: a shutdown must not lose a bounce half-made.
	if err := q.Enqueue(context.Background(), w.ID(), nil, "", rcpt); err != nil {
		q.sp.Remove(w.ID())
		return "", fmt.Errorf("bounce %s: %w", r.ID, err)
	}
	return w.ID(), nil
}

// writeDSN writes the bounce; write errors surface in Commit.
func (q *Queue) writeDSN(w io.Writer, r *record, fails []failure, headers []byte) {
	host := q.cfg.Hostname
	now := q.cfg.Now()
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	boundary := r.ID + "/" + hex.EncodeToString(rnd[:])
	b := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(b, format+"\r\n", a...) }

	p("From: Mail Delivery System <MAILER-DAEMON@%s>", host)
	p("To: <%s>", r.From)
	p("Subject: Undelivered Mail Returned to Sender")
	p("Date: %s", now.Format(time.RFC1123Z))
	p("Message-ID: <%s.dsn@%s>", r.ID, host)
	p("Auto-Submitted: auto-replied")
	p("MIME-Version: 1.0")
	p("Content-Type: multipart/report; report-type=delivery-status;")
	p("\tboundary=\"%s\"", boundary)
	p("")
	p("This is a MIME-encapsulated message.")
	p("")
	p("--%s", boundary)
	p("Content-Description: Notification")
	p("Content-Type: text/plain; charset=utf-8")
	p("")
	p("This is the mail system at host %s.", host)
	p("")
	p("Your message (queue ID %s) could not be delivered to one or more", r.ID)
	p("recipients. It has been returned below with its headers only.")
	p("")
	for _, f := range fails {
		why := f.rcpt.Reply
		if f.expired {
			why = "gave up after " + q.cfg.GiveUp.String() + "; last error: " + why
		}
		p("<%s>: %s", f.rcpt.Addr, why)
	}
	p("")
	p("--%s", boundary)
	p("Content-Description: Delivery report")
	p("Content-Type: message/delivery-status")
	p("")
	p("Reporting-MTA: dns; %s", host)
	p("X-Mailwall-Queue-ID: %s", r.ID)
	p("Arrival-Date: %s", r.Arrived.Format(time.RFC1123Z))
	for _, f := range fails {
		p("")
		p("Final-Recipient: %s; %s", addrType(f.rcpt.Addr), f.rcpt.Addr)
		p("Action: failed")
		p("Status: %s", dsnStatus(f))
		p("Diagnostic-Code: %s", diagnostic(f))
		p("Last-Attempt-Date: %s", now.Format(time.RFC1123Z))
	}
	p("")
	p("--%s", boundary)
	p("Content-Description: Undelivered Message Headers")
	p("Content-Type: text/rfc822-headers")
	p("")
	b.Write(headers)
	p("")
	p("--%s--", boundary)
	b.Flush()
}

// addrType is the RFC 3464 address type: "utf-8" (RFC 6533) for an
// internationalised address, else "rfc822".
func addrType(addr string) string {
	for i := 0; i < len(addr); i++ {
		if addr[i] >= 0x80 {
			return "utf-8"
		}
	}
	return "rfc822"
}

// dsnStatus picks the RFC 3463 code for the Status field.
func dsnStatus(f failure) string {
	st := f.rcpt.Status
	valid := len(st) >= 5 && (st[0] == '4' || st[0] == '5') && st[1] == '.'
	switch {
	case f.expired && valid && st[0] == '4':
		return st
	case f.expired:
		return "4.4.7" // RFC 3463: delivery time expired
	case valid && st[0] == '5':
		return st
	default:
		return "5.0.0"
	}
}

// diagnostic renders the Diagnostic-Code field (RFC 3464 2.3.6): type
// "smtp" for a server reply, a private X- type for local errors.
func diagnostic(f failure) string {
	if f.code > 0 {
		return "smtp; " + f.rcpt.Reply
	}
	return "X-mailwall; " + f.rcpt.Reply
}

// originalHeaders returns the header section of the message as delivered
// (our prefix, then the spooled header without the skipped ranges), CRLF
// line endings throughout, at most maxBouncedHeaders bytes.
func (q *Queue) originalHeaders(r *record) []byte {
	var src io.Reader = bytes.NewReader(r.Prefix)
	if m, err := q.sp.Open(r.ID); err == nil {
		defer m.Close()
		src = r.message(m)
	}
	br := bufio.NewReader(io.LimitReader(src, maxBouncedHeaders))
	var out bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" { // end of the header section (or of the input)
			break
		}
		out.WriteString(strings.ReplaceAll(line, "\r", " ") + "\r\n")
		if err != nil {
			break
		}
	}
	return out.Bytes()
}
