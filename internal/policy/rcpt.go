package policy

import (
	"context"
	"errors"
	"net/netip"
	"strings"

	"mailwall/internal/envelope"
	"mailwall/internal/smtp"
)

// # Relay control
//
// Mail for local and relay domains is accepted from anyone; mail for any
// other domain only from trusted networks, authenticated sessions, or
// clients the access map lets RELAY. Everything else gets
// "550 5.7.1 <addr>: Relay access denied".
//
// The recipient tricks of relay testers are refused or resolved safely:
//
//   - percent hack user%other.test@local, bang path other.test!user@local,
//     quoted "user@other.test"@local: a local part that routes elsewhere
//     ('%', '!', '@', ':') is refused for clients that may not relay, since
//     a downstream MTA might honour it (Sendmail, Exim and old qmail did).
//   - source route <@local:user@other.test>: the route is ignored (RFC 5321
//     4.1.1.3) and user@other.test is judged on its own.
//   - double-at user@other.test@local, unterminated quotes, bad literals,
//     empty and oversized addresses: 501 5.1.3 syntax errors.
//   - unquoted bang path other.test!user and <user>: unqualified, 553 5.1.3
//     (only <postmaster> is accepted, RFC 5321 4.5.1).
//   - IP literals user@[192.0.2.1]: foreign; our own address literal is
//     accepted only for postmaster, rewritten to the first local domain.
//   - upper-case and trailing-dot domains are normalised before matching,
//     so OTHER.TEST. is as foreign as other.test.

// maxShown bounds the address echoed in a reply.
const maxShown = 100

// Rcpt parses rawRcpt (what was inside <...>) and runs the recipient rules.
// It returns the normalised address when the decision is not a refusal.
func (e *Engine) Rcpt(ctx context.Context, c *envelope.Conn, from envelope.Address, rawRcpt string) (envelope.Address, Decision) {
	shown := shownAddr(rawRcpt)
	syntax := func(text string) (envelope.Address, Decision) {
		return envelope.Address{}, reply(501, smtp.EnhancedCode{5, 1, 3}, smtp.ReasonSyntax, shown+": "+text, "rcpt_syntax")
	}
	if rawRcpt == "" {
		return syntax("Bad recipient address syntax")
	}
	s, ok := envelope.StripRoute(rawRcpt)
	if !ok {
		return syntax("Bad recipient address syntax")
	}
	a, err := envelope.ParseAddress(s)
	switch {
	case errors.Is(err, envelope.ErrAddrTooLong):
		return syntax("Recipient address too long")
	case err != nil && isUnqualified(s):
		return envelope.Address{}, reply(553, smtp.EnhancedCode{5, 1, 3}, smtp.ReasonSyntax,
			shown+": Recipient address must be fully qualified", "rcpt_syntax")
	case err != nil:
		return syntax("Bad recipient address syntax")
	}
	if a.Domain == "" { // <postmaster>
		a.Domain = e.primary
		return a, Decision{Action: OK, Source: "postmaster"}
	}

	mayRelay, why := e.mayRelay(c)
	denied := func() (envelope.Address, Decision) {
		e.log.Info("relay denied", "conn", c.ID, "ip", c.IP(), "from", from.String(), "rcpt", rawRcpt)
		return envelope.Address{}, reply(550, smtp.EnhancedCode{5, 7, 1}, smtp.ReasonRelayDenied,
			shown+": Relay access denied", "relay_control")
	}

	toRelay := false
	if e.access != nil {
		m := e.access.get(e.now())
		if h, ok := m.lookup(tagTo, addressKeys(a.Local, a.Domain)); ok {
			d := m.decision(h, 550)
			switch d.Action {
			case Reject, TempFail, Discard:
				return a, d
			case Relay:
				toRelay = true
			}
		}
	}

	localDest := e.local.has(a.Domain)
	if ip, isLit := a.Literal(); isLit && e.ownIP(c, ip) {
		if !strings.EqualFold(a.Local, "postmaster") && !mayRelay {
			return denied()
		}
		if e.primary != "" && !mayRelay {
			a.Domain = e.primary // deliver as postmaster@<first local domain>
		}
		localDest = true
	}
	relayDest := e.relay.has(a.Domain) || toRelay
	switch {
	case (localDest || relayDest) && routesElsewhere(a.Local) && !mayRelay:
		return denied()
	case localDest:
		return a, Decision{Action: OK, Source: "local_domains"}
	case relayDest:
		return a, Decision{Action: Relay, Source: "relay_domains"}
	case mayRelay:
		return a, Decision{Action: Relay, Source: why}
	}
	return denied()
}

// mayRelay reports whether the client may relay anywhere, and why.
func (e *Engine) mayRelay(c *envelope.Conn) (bool, string) {
	switch {
	case c.AuthUser != "":
		return true, "auth"
	case e.trusted(c):
		return true, "trusted_networks"
	case e.clientRelays(c):
		return true, "access_map"
	}
	return false, ""
}

// ownIP reports whether ip is one of ours.
func (e *Engine) ownIP(c *envelope.Conn, ip netip.Addr) bool {
	if c.LocalAddr.IsValid() && c.LocalAddr.Addr().Unmap() == ip.Unmap() {
		return true
	}
	for _, a := range e.cfg.LocalIPs {
		if a.Unmap() == ip.Unmap() {
			return true
		}
	}
	return false
}

// routesElsewhere reports whether a local part carries routing syntax.
func routesElsewhere(local string) bool {
	return strings.ContainsAny(local, "%!@:")
}

// isUnqualified: no '@' outside a quoted string.
func isUnqualified(s string) bool {
	if strings.HasPrefix(s, `"`) {
		end := strings.LastIndexByte(s, '"')
		return end > 0 && !strings.Contains(s[end:], "@")
	}
	return !strings.Contains(s, "@")
}

// shownAddr is the address as echoed in a reply: sanitised, bounded, in <>.
func shownAddr(raw string) string {
	s := smtp.Sanitize(strings.ToValidUTF8(raw, "?"))
	if len(s) > maxShown {
		s = truncUTF8(s, maxShown) + "..."
	}
	return "<" + s + ">"
}

func (s domainSet) first() string {
	for d := range s {
		return d
	}
	return ""
}
