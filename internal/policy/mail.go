package policy

import (
	"context"
	"errors"
	"strings"

	"mailwall/internal/envelope"
	"mailwall/internal/smtp"
)

// Mail runs the sender rules for MAIL FROM. from is already parsed by the
// front end (the null sender is allowed).
func (e *Engine) Mail(ctx context.Context, c *envelope.Conn, from envelope.Address) Decision {
	if from.IsNull() {
		return Decision{}
	}
	local := strings.ToLower(from.Local)
	if e.allowSender(local, from.Domain) {
		return Decision{Action: OK, Source: "allow.senders"}
	}
	if prefixesContain(e.cfg.Allow.ClientIPs, c.IP()) {
		return Decision{Action: OK, Source: "allow.client_ips"}
	}
	if e.access != nil {
		m := e.access.get(e.now())
		if h, ok := m.lookup(tagFrom, addressKeys(from.Local, from.Domain)); ok {
			d := m.decision(h, 550)
			if d.Action == Relay { // sendmail: RELAY on From: means OK
				d.Action = OK
			}
			return d
		}
	}
	b := &e.cfg.Block
	switch {
	case from.Domain != "" && containsFold(b.Senders, local+"@"+from.Domain):
		return blocked(b.SenderReply, "block.senders")
	case from.Domain != "" && e.blockDomains.has(from.Domain):
		return blocked(b.SenderDomainReply, "block.sender_domains")
	case containsFold(b.SenderLocals, local):
		return blocked(b.SenderLocalReply, "block.sender_locals")
	}
	return Decision{}
}

func (e *Engine) allowSender(local, domain string) bool {
	a := &e.cfg.Allow
	if domain == "" {
		return false
	}
	return containsFold(a.Senders, local+"@"+domain) || e.allowDomains.has(domain)
}

func blocked(text, source string) Decision {
	if text == "" {
		text = "Sender address rejected: Access denied"
	}
	return reply(550, smtp.EnhancedCode{5, 7, 1}, smtp.ReasonBlocked, text, source)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSuffix(x, "."), s) {
			return true
		}
	}
	return false
}

// ParseSender parses a MAIL FROM argument (inside <>) into an address or
// the 501/553 reply for it (RFC 5321 4.2.2, RFC 3463 5.1.7).
func ParseSender(raw string) (envelope.Address, *smtp.Error) {
	s, ok := envelope.StripRoute(raw)
	if !ok {
		return envelope.Address{}, smtp.New(501, smtp.EnhancedCode{5, 1, 7}, smtp.ReasonSyntax, "Bad sender address syntax")
	}
	a, err := envelope.ParseAddress(s)
	switch {
	case errors.Is(err, envelope.ErrAddrTooLong):
		return a, smtp.New(501, smtp.EnhancedCode{5, 1, 7}, smtp.ReasonSyntax, "Sender address too long")
	case err != nil:
		return a, smtp.New(501, smtp.EnhancedCode{5, 1, 7}, smtp.ReasonSyntax, "Bad sender address syntax")
	}
	return a, nil
}
