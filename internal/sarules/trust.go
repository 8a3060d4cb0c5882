package sarules

import (
	"net/netip"
	"strconv"
	"strings"
)

// # Trust path
//
// SpamAssassin walks the Received headers from the top (the newest hop)
// and splits the relays into trusted and untrusted, and into internal and
// external (Mail::SpamAssassin::Message::Metadata::Received,
// parse_received_headers; the TrustPath wiki page):
//
//   - with trusted_networks or internal_networks configured, a relay stays
//     trusted while its address is in trusted_networks or its header shows
//     SMTP AUTH; the first other relay and every relay after it are
//     untrusted. Internal likewise with internal_networks, and a relay
//     that is not trusted is not internal. A relay in msa_networks freezes
//     both: every relay after it gets its classification. When only one of
//     the two lists is set it stands for the other.
//   - with neither configured, trust is inferred: a relay from a private
//     address (SpamAssassin's IP_PRIVATE) or with an auth token is trusted
//     (and internal); the first other relay and all after it are neither.
//
// 127/8 and ::1 always belong to trusted_networks and internal_networks.
// The addresses of originating_ip_headers (X-Originating-IP, ...) are
// appended to the chain as relays of their own, as SpamAssassin 4 does.
//
// mailwall adds its own view (CheckOptions.Gateway): its trusted
// networks join trusted_networks and internal_networks, and the hop it
// received the message over is put on top, as the Received header its
// MTA writes would be seen by a SpamAssassin behind it.

// Gateway is what mailwall itself knows about a message's arrival: its
// own trusted networks and the SMTP client it received the message from.
type Gateway struct {
	// Trusted are the gateway's trusted networks (config
	// trusted_networks). They are added to trusted_networks and
	// internal_networks; loopback-only lists change nothing.
	Trusted []netip.Prefix
	// IP, Helo and RDNS are the SMTP client's address, HELO/EHLO name and
	// reverse DNS name ("" = none). An invalid IP adds no hop.
	IP         netip.Addr
	Helo, RDNS string
	// By is the gateway's hostname, as in its Received header.
	By string
	// AuthUser is the SMTP AUTH identity ("" = not authenticated); an
	// authenticated hop is trusted, as "with ESMTPA" is to SpamAssassin.
	AuthUser string
}

// netEntry is one trusted_networks style entry; not marks a "!" exclusion.
type netEntry struct {
	p   netip.Prefix
	not bool
}

// netSet is a parsed trusted_networks, internal_networks or msa_networks
// list. As Mail::SpamAssassin::NetSet without Net::Patricia, entries are
// tried in order and the first that contains the address decides.
type netSet []netEntry

var loopbackNets = netSet{
	{p: netip.MustParsePrefix("127.0.0.0/8")},
	{p: netip.MustParsePrefix("::1/128")},
}

// parseNetSet reads entries: "1.2.3.4", "1.2.3.0/24", "10.", "10.0.1/24",
// "[2001:db8::1]", "2001:db8::/32", each optionally prefixed with "!".
// Unreadable entries (and a-b ranges) are skipped.
func parseNetSet(list []string) netSet {
	var out netSet
	for _, s := range list {
		e := netEntry{not: strings.HasPrefix(s, "!")}
		s = strings.TrimPrefix(s, "!")
		addr, bits, hasBits := strings.Cut(s, "/")
		addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
		n := -1
		if hasBits {
			v, err := strconv.Atoi(bits)
			if err != nil {
				continue
			}
			n = v
		}
		if !strings.Contains(addr, ":") {
			// IPv4, maybe with octets left out: "10." is 10.0.0.0/8
			parts := strings.Split(strings.TrimSuffix(addr, "."), ".")
			if len(parts) < 4 {
				if n < 0 {
					n = 8 * len(parts)
				}
				for len(parts) < 4 {
					parts = append(parts, "0")
				}
				addr = strings.Join(parts, ".")
			}
		}
		a, err := netip.ParseAddr(addr)
		if err != nil {
			continue
		}
		a = a.Unmap()
		if n < 0 {
			n = a.BitLen()
		}
		p, err := a.Prefix(n)
		if err != nil {
			continue
		}
		e.p = p
		out = append(out, e)
	}
	return out
}

func (s netSet) contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, e := range s {
		if e.p.Contains(ip) {
			return !e.not
		}
	}
	return false
}

func (s netSet) containsString(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && s.contains(a)
}

// trustConf is the trust settings of one Check.
type trustConf struct {
	trusted, internal, msa netSet
	// inferred: neither trusted_networks nor internal_networks is set.
	inferred bool
}

// trust combines the rule files' networks with the gateway's.
func (p *pms) trust() *trustConf {
	rs := p.rs
	trusted, internal := rs.trusted, rs.internal
	gw := p.gatewayNets()
	tc := &trustConf{msa: parseNetSet(rs.msa)}
	if len(trusted) == 0 && len(internal) == 0 && len(gw) == 0 {
		tc.inferred = true
		return tc
	}
	// one list stands for the other; the gateway's joins both
	if len(internal) == 0 {
		internal = trusted
	} else if len(trusted) == 0 {
		trusted = internal
	}
	tc.trusted = append(append(append(netSet{}, loopbackNets...), parseNetSet(trusted)...), gwNets(gw)...)
	tc.internal = append(append(append(netSet{}, loopbackNets...), parseNetSet(internal)...), gwNets(gw)...)
	return tc
}

// gatewayNets are the gateway's trusted networks apart from loopback
// (always trusted already).
func (p *pms) gatewayNets() []netip.Prefix {
	var gw []netip.Prefix
	if g := p.o.Gateway; g != nil {
		for _, n := range g.Trusted {
			if !loopbackNets.contains(n.Addr()) || n.Bits() < 8 {
				gw = append(gw, n)
			}
		}
	}
	return gw
}

func gwNets(list []netip.Prefix) netSet {
	out := make(netSet, len(list))
	for i, p := range list {
		out[i] = netEntry{p: p.Masked()}
	}
	return out
}

// relayInfo is the parsed and classified relay chain of one message.
type relayInfo struct {
	trusted, untrusted []*relay
	internal, external []*relay
	unparseable        int
	// lastTrustedIdx and lastInternalIdx are the indexes of the last
	// Received header in the trusted and internal parts (-1: none), as
	// Received.pm's last_trusted_relay_index: they count the message's
	// own Received headers, not the gateway's hop.
	lastTrustedIdx, lastInternalIdx int
	// rblTrusted is trusted_networks as DNSEval.pm sees it: the
	// configured list (with loopback and the gateway's), not inferred
	// and not standing in for internal_networks.
	rblTrusted netSet
}

// originatingIPHeaders are the originating_ip_headers of SpamAssassin's
// 10_default_prefs.cf.
var originatingIPHeaders = []string{"X-Yahoo-Post-IP", "X-Originating-IP", "X-Apparently-From",
	"X-SenderIP", "X-AOL-IP", "X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp"}

// relays parses the message's Received headers and walks the trust path,
// once per Check.
func (p *pms) relays() *relayInfo {
	if p.relayCache != nil {
		return p.relayCache
	}
	tc := p.trust()
	var chain []*relay // nil entries: headers that give no relay
	var skipped []bool // for nil entries: true = unparseable
	gwHop := p.gatewayRelay()
	for _, v := range headerValues(p.m.Header, "Received", false) {
		r, ok := parseReceived(v)
		if gwHop != nil && len(chain) == 0 && r != nil && ok && r.ip == gwHop.ip {
			gwHop = nil // the MTA's own header is in the message already
		}
		if r != nil && !ok {
			chain = append(chain, r) // fetcher marker
			skipped = append(skipped, false)
			continue
		}
		chain = append(chain, r)
		skipped = append(skipped, ok && r == nil)
	}
	for _, h := range originatingIPHeaders {
		vals := headerValues(p.m.Header, h, false)
		if len(vals) == 0 {
			continue
		}
		// QUIRK: scalar get_header is the last instance, first address
		if ip := originIPRe.FindString(vals[len(vals)-1]); ip != "" {
			r := &relay{ip: ip}
			r.private = saPrivate(ip)
			chain = append(chain, r)
			skipped = append(skipped, false)
		}
	}
	offset := 0
	if gwHop != nil {
		chain = append([]*relay{gwHop}, chain...)
		skipped = append([]bool{false}, skipped...)
		offset = 1
	}
	ri := walkTrust(chain, skipped, tc)
	ri.rblTrusted = append(append(append(netSet{}, loopbackNets...), parseNetSet(p.rs.trusted)...), gwNets(p.gatewayNets())...)
	ri.lastTrustedIdx = max(-1, ri.lastTrustedIdx-offset)
	ri.lastInternalIdx = max(-1, ri.lastInternalIdx-offset)
	p.relayCache = ri
	return ri
}

// walkTrust classifies chain (top first) as parse_received_headers does.
// A nil relay is a header without one (unparseable when skipped says
// so); a relay marked fetcher is a mail fetcher's handover.
func walkTrust(chain []*relay, skipped []bool, tc *trustConf) *relayInfo {
	ri := &relayInfo{lastTrustedIdx: -1, lastInternalIdx: -1}
	inTrusted, inInternal, foundMSA := true, true, false
	allowFetchMarkers := true
	for i, r := range chain {
		if r == nil || r.fetcher {
			if r != nil && allowFetchMarkers {
				// restart: the fetcher's handover is where mail entered
				ri.trusted, ri.internal, ri.external = nil, nil, nil
			}
			if skipped[i] {
				ri.unparseable++
			}
			if inTrusted {
				ri.lastTrustedIdx++
			}
			if inInternal {
				ri.lastInternalIdx++
			}
			continue
		}
		r.msa = false
		if inTrusted && !foundMSA {
			switch {
			case tc.inferred:
				if !r.private && r.auth == "" {
					inTrusted, inInternal = false, false
				}
			case r.auth == "" && !tc.trusted.containsString(r.ip):
				inTrusted, inInternal = false, false
			default:
				if inInternal && r.auth == "" && !tc.internal.containsString(r.ip) {
					inInternal = false
				}
				if tc.msa.containsString(r.ip) {
					foundMSA, r.msa = true, true
				}
			}
		}
		r.internal = inInternal
		if inTrusted {
			ri.trusted = append(ri.trusted, r)
			allowFetchMarkers = true
			ri.lastTrustedIdx++
		} else {
			ri.untrusted = append(ri.untrusted, r)
			allowFetchMarkers = false
		}
		if inInternal {
			ri.internal = append(ri.internal, r)
			ri.lastInternalIdx++
		} else {
			ri.external = append(ri.external, r)
		}
	}
	return ri
}

// gatewayRelay is the hop mailwall received the message over, as
// SpamAssassin parses the Received header mailwall writes for it
// (action.Received: "from HELO (RDNS [IP]) by HOST (mailwall) with
// ESMTPA id ..."); nil without a client address.
func (p *pms) gatewayRelay() *relay {
	g := p.o.Gateway
	if g == nil || !g.IP.IsValid() {
		return nil
	}
	ip := g.IP.Unmap().String()
	r := &relay{ip: ip, rdns: strings.TrimRight(g.RDNS, "."), helo: g.Helo, by: g.By}
	if r.helo == "" {
		r.helo = "unknown"
	}
	if strings.EqualFold(r.rdns, "unknown") {
		r.rdns = ""
	}
	if g.AuthUser != "" {
		r.auth = "ESMTPA"
	}
	for _, s := range []*string{&r.rdns, &r.helo, &r.by} {
		*s = rcvdStripChars.ReplaceAllString(*s, "!")
	}
	r.private = saPrivate(ip)
	return r
}

// saPrivate is SpamAssassin's IP_PRIVATE (Constants.pm): 10/8, 127/8,
// 169.254/16, 172.16/12, 192.168/16, 100.64/10, fe80::/10, ::1 and those
// IPv4 nets mapped into IPv6. It decides inferred trust.
func saPrivate(ip string) bool {
	a, err := netip.ParseAddr(strings.TrimPrefix(ip, "IPv6:"))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range saPrivateNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var saPrivateNets = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("::1/128"),
}
