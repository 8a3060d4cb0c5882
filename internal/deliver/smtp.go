package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"unicode/utf8"

	"mailwall/internal/queue"
)

// viaHost delivers to a configured SMTP or LMTP next hop.
func (d *Deliverer) viaHost(ctx context.Context, h hop, from string, rcpts []string, msg io.Reader) []queue.Result {
	res, _ := d.session(ctx, h, from, rcpts, msg)
	return res
}

// session runs one SMTP/LMTP transaction, on a pooled connection to the
// same address if there is one. retry reports that nothing of the message
// was sent and another host may be tried (connection, greeting or EHLO
// failure).
func (d *Deliverer) session(ctx context.Context, h hop, from string, rcpts []string, msg io.Reader) (res []queue.Result, retry bool) {
	key := h.kind + " " + h.network + " " + h.addr
	c := d.pool.get(key)
	if c != nil {
		// RFC 5321 4.1.1.5: RSET before reuse; a connection the server
		// dropped meanwhile fails here and a new one is made.
		if err := c.cmd("RSET"); err != nil || c.readOK() != nil {
			c.close()
			c = nil
		}
	}
	if c == nil {
		var err error
		if c, err = d.connect(ctx, h); err != nil {
			// QUIRK: even a 5xx greeting only defers, as Postfix does with
			// smtp_skip_5xx_greeting: the next MX or a later try may work.
			res := results(rcpts, err)
			for i := range res {
				res[i].Permanent = false
			}
			return res, true
		}
	}
	stop := context.AfterFunc(ctx, func() { c.close() })
	res = d.transaction(c, from, rcpts, msg)
	if !stop() {
		c.broken = true // ctx closed the connection
	}
	d.pool.put(key, c)
	return res, false
}

// errTLS marks a failed STARTTLS.
var errTLS = errors.New("STARTTLS failed")

// connect opens a connection and says EHLO, with STARTTLS when offered.
// If STARTTLS fails, it connects again without it (RFC 7435:
// opportunistic).
func (d *Deliverer) connect(ctx context.Context, h hop) (*client, error) {
	c, err := d.dial(ctx, h, true)
	if errors.Is(err, errTLS) {
		d.o.Log.Info("deliver: STARTTLS failed, retrying in plain text", "addr", h.addr, "err", err)
		c, err = d.dial(ctx, h, false)
	}
	return c, err
}

func (d *Deliverer) dial(ctx context.Context, h hop, tryTLS bool) (*client, error) {
	dialer := net.Dialer{Timeout: d.o.Timeout}
	conn, err := dialer.DialContext(ctx, h.network, h.addr)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", h.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c := newClient(conn, h.kind == "lmtp", d.o.Timeout)
	if err := c.hello(d.o.HeloName, true); err != nil {
		c.close()
		return nil, fmt.Errorf("%s: %w", h.addr, err)
	}
	if _, ok := c.ext["STARTTLS"]; ok && tryTLS && h.network == "tcp" {
		if err := c.startTLS(d.tlsConfig(h), d.o.HeloName); err != nil {
			c.close()
			return nil, fmt.Errorf("%s: %w: %w", h.addr, errTLS, err)
		}
	}
	return c, nil
}

func (d *Deliverer) tlsConfig(h hop) *tls.Config {
	cfg := d.o.TLSConfig
	if cfg == nil {
		// RFC 7435 opportunistic security: encrypt without verifying.
		cfg = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}
	}
	if cfg.ServerName == "" && net.ParseIP(h.host) == nil {
		cfg = cfg.Clone()
		cfg.ServerName = h.host
	}
	return cfg
}

// transaction sends MAIL, RCPT for each recipient and DATA, and returns one
// result per recipient: the RCPT reply if it refused, else the reply to the
// data (one per recipient for LMTP, RFC 2033 4.2).
func (d *Deliverer) transaction(c *client, from string, rcpts []string, msg io.Reader) []queue.Result {
	mail := "MAIL FROM:<" + from + ">"
	if _, ok := c.ext["8BITMIME"]; ok {
		mail += " BODY=8BITMIME" // RFC 6152; we relay bodies unchanged
	}
	if !isASCII(from) || !allASCII(rcpts) {
		if _, ok := c.ext["SMTPUTF8"]; !ok {
			// RFC 6531 3.2: no downgrade for UTF-8 addresses.
			return results(rcpts, &replyError{code: 553, enh: "5.6.7", text: "next hop does not support SMTPUTF8"})
		}
		mail += " SMTPUTF8"
	}
	_, pipelining := c.ext["PIPELINING"]
	if err := d.envelope(c, mail, rcpts, pipelining); err != nil {
		return results(rcpts, err)
	}
	if _, err := c.read(2); err != nil {
		// Pipelined RCPT replies (503) are left unread: hang up.
		c.broken = true
		return results(rcpts, fmt.Errorf("MAIL FROM: %w", err))
	}
	res := make([]queue.Result, 0, len(rcpts))
	var accepted []string
	for i, r := range rcpts {
		err := error(nil)
		if !pipelining {
			err = c.cmd("RCPT TO:<" + r + ">")
		}
		if err == nil {
			_, err = c.read(2)
		}
		var re *replyError
		switch {
		case err == nil:
			accepted = append(accepted, r)
		case errors.As(err, &re):
			res = append(res, result(r, fmt.Errorf("RCPT TO: %w", err)))
		default: // connection lost
			return append(res, results(rcpts[i:], err)...)
		}
	}
	if len(accepted) == 0 {
		return res
	}
	if err := c.data(msg); err != nil {
		return append(res, results(accepted, err)...)
	}
	return append(res, d.dataReplies(c, accepted)...)
}

// envelope sends MAIL (and with pipelining all RCPTs in the same packet,
// RFC 2920 3.1); replies are read by the caller.
func (d *Deliverer) envelope(c *client, mail string, rcpts []string, pipelining bool) error {
	if err := c.send(mail); err != nil {
		return err
	}
	if pipelining {
		for _, r := range rcpts {
			if err := c.send("RCPT TO:<" + r + ">"); err != nil {
				return err
			}
		}
	}
	return c.flush()
}

// dataReplies reads the reply to the end of data: one for SMTP, applying to
// all recipients; one per accepted recipient, in order, for LMTP.
func (d *Deliverer) dataReplies(c *client, accepted []string) []queue.Result {
	res := make([]queue.Result, 0, len(accepted))
	for i, r := range accepted {
		rep, err := c.read(2)
		if err != nil {
			err = fmt.Errorf("end of data: %w", err)
		}
		if !c.lmtp {
			for _, r := range accepted {
				res = append(res, resultOf(r, rep, err))
			}
			return res
		}
		res = append(res, resultOf(r, rep, err))
		var re *replyError
		if err != nil && !errors.As(err, &re) { // connection lost: no more replies
			return append(res, results(accepted[i+1:], err)...)
		}
	}
	return res
}

func resultOf(rcpt string, rep reply, err error) queue.Result {
	if err != nil {
		return result(rcpt, err)
	}
	return queue.Result{Rcpt: rcpt, Code: rep.code, Enhanced: rep.enh, Text: rep.text}
}

// result converts an error to a Result, taking code and enhanced code from
// a server reply when there is one. Only 5xx replies are permanent.
func result(rcpt string, err error) queue.Result {
	r := queue.Result{Rcpt: rcpt, Err: err, Text: err.Error()}
	var re *replyError
	if errors.As(err, &re) {
		r.Code, r.Enhanced, r.Text = re.code, re.enh, re.text
		r.Permanent = re.code >= 500
	}
	return r
}

func results(rcpts []string, err error) []queue.Result {
	res := make([]queue.Result, len(rcpts))
	for i, r := range rcpts {
		res[i] = result(r, err)
	}
	return res
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
