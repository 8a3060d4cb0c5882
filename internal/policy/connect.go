package policy

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"mailwall/internal/envelope"
	"mailwall/internal/smtp"
)

// Connect runs the connection rules (see # The chain).
func (e *Engine) Connect(ctx context.Context, c *envelope.Conn) Decision {
	ip := c.IP()
	if e.trusted(c) {
		return Decision{Action: OK, Source: "trusted_networks"}
	}
	if prefixesContain(e.cfg.Allow.ClientIPs, ip) {
		return Decision{Action: OK, Source: "allow.client_ips"}
	}
	if d := e.accessConnect(c); d.Decisive() {
		if d.Action == Relay {
			d.Action = OK
		}
		return d
	}
	if prefixesContain(e.cfg.Block.ClientIPs, ip) {
		text := e.cfg.Block.ClientIPReply
		if text == "" {
			text = "Access denied"
		}
		return reply(554, smtp.EnhancedCode{5, 7, 1}, smtp.ReasonBlocked, text, "block.client_ips")
	}
	if r := e.cfg.ConnRate; r.on() {
		ok, err := e.rates.Take(ctx, "conn:"+ip.String(), r, e.now())
		if err != nil {
			e.log.Warn("connection rate store failed, allowing", "ip", ip, "err", err)
		} else if !ok {
			e.log.Warn("connection rate exceeded", "ip", ip, "conn", c.ID, "limit", fmt.Sprintf("%d/%s", r.N, r.Per))
			return reply(421, smtp.EnhancedCode{4, 7, 0}, smtp.ReasonTooManyConns,
				"Too many connections from your address, try again later", "connection_rate")
		}
	}
	return e.dnsblCheck(ctx, c)
}

// accessConnect looks the client IP and host name up with Connect: keys.
func (e *Engine) accessConnect(c *envelope.Conn) Decision {
	if e.access == nil {
		return Decision{}
	}
	m := e.access.get(e.now())
	if h, ok := m.lookupIP(tagConnect, c.IP()); ok {
		return m.decision(h, 554)
	}
	if host := strings.ToLower(strings.TrimSuffix(c.Hostname, ".")); host != "" {
		if h, ok := m.lookup(tagConnect, domainKeys(host)); ok {
			return m.decision(h, 554)
		}
	}
	return Decision{}
}

// clientRelays reports whether the access map lets this client relay
// (RELAY on its IP or host name).
func (e *Engine) clientRelays(c *envelope.Conn) bool {
	d := e.accessConnect(c)
	return d.Action == Relay
}

// decision turns an access map hit into a Decision; rejectCode is the
// code for a plain REJECT (554 at connect, 550 later).
func (m *accessMap) decision(h hit, rejectCode int) Decision {
	src := fmt.Sprintf("access_map:%s:%d", m.name, h.v.line)
	switch h.v.action {
	case Reject, TempFail:
		code := h.v.code
		if code == 550 && h.v.text == "Access denied" && rejectCode != 550 {
			code = rejectCode // plain REJECT
		}
		return reply(code, h.v.enh, smtp.ReasonAccessMap, h.v.text, src)
	}
	return Decision{Action: h.v.action, Source: src}
}

// dnsblCheck queries every zone in parallel; the first listed zone in
// config order wins. Errors and timeouts fail open (logged).
func (e *Engine) dnsblCheck(ctx context.Context, c *envelope.Conn) Decision {
	if len(e.cfg.DNSBL) == 0 {
		return Decision{}
	}
	ip := c.IP()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return Decision{} // lists hold no private or loopback addresses
	}
	type answer struct {
		listed        bool
		code, meaning string
	}
	answers := make([]answer, len(e.cfg.DNSBL))
	done := make(chan struct{}, len(e.cfg.DNSBL))
	for i, z := range e.cfg.DNSBL {
		go func() {
			defer func() { done <- struct{}{} }()
			res, err := e.dns.Lookup(ctx, ip, z.Zone)
			if err != nil {
				e.log.Warn("dnsbl lookup failed, not listed", "zone", z.Zone, "ip", ip, "err", err)
				return
			}
			for _, code := range res.Codes {
				meaning, known := z.Codes[code]
				if len(z.Codes) == 0 || known {
					answers[i] = answer{true, code.String(), meaning}
					return
				}
			}
		}()
	}
	for range e.cfg.DNSBL {
		<-done
	}
	for i, a := range answers {
		if !a.listed {
			continue
		}
		z := e.cfg.DNSBL[i]
		text := z.Reply
		if text == "" {
			text = "Service unavailable; client [{ip}] blocked using {zone}"
		}
		text = strings.NewReplacer("{ip}", ip.String(), "{zone}", z.Zone, "{code}", a.code, "{meaning}", a.meaning).Replace(text)
		e.log.Info("client listed in dnsbl", "ip", ip, "zone", z.Zone, "code", a.code, "meaning", a.meaning, "conn", c.ID)
		return reply(554, smtp.EnhancedCode{5, 7, 1}, smtp.ReasonDNSBL, text, "dnsbl:"+z.Zone)
	}
	return Decision{}
}

// Helo has no rules yet beyond what smtpd checks; it returns Continue.
func (e *Engine) Helo(ctx context.Context, c *envelope.Conn) Decision {
	return Decision{}
}

func prefixesContain(ps []netip.Prefix, ip netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
