package sarules

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// # Received headers
//
// relays parses the Received headers into relays the way
// Mail::SpamAssassin::Message::Metadata::Received does, for the common
// formats (sendmail, Postfix, Exim, qmail): "from HELO (RDNS [IP])",
// "from HELO (RDNS[IP])", "from RDNS ([IP] helo=HELO)", "from RDNS (HELO
// HELO) (IP)". Each relay renders as
//
//	[ ip=1.2.3.4 rdns=host helo=helo by=mx ident= envfrom= intl=0 id=ID auth= msa=0 ]
//
// The trust path (trust.go) splits them into the pseudo-headers
// X-Spam-Relays-Trusted/-Untrusted/-Internal/-External.

type relay struct {
	ip, rdns, helo, by, ident, envfrom, id, auth string
	private, internal, msa                       bool
	fetcher                                      bool // a mail fetcher's marker, not a relay
	hasEnvfrom                                   bool
	// noRDNS: the MTA looked the client's rDNS up and found none
	// (SpamAssassin's no_reverse_dns): the sendmail and Postfix forms
	// "(unknown [IP])", "(unknown[IP])" and "(IDENT@[IP])"; qmail's
	// "unknown" says nothing about a look-up
	noRDNS bool
}

func (r *relay) String() string {
	return fmt.Sprintf("[ ip=%s rdns=%s helo=%s by=%s ident=%s envfrom=%s intl=%d id=%s auth=%s msa=%d ]",
		r.ip, r.rdns, r.helo, r.by, r.ident, r.envfrom, btoi(r.internal), r.id, r.auth, btoi(r.msa))
}

var (
	// rcvdDateTailRe and rcvdAuthRe run as trimRcvdDate and rcvdAuth
	// (relays_scan.go); kept as their specification and tests' reference
	rcvdDateTailRe = regexp.MustCompile(`[\s;]+(?:(?:Mon|T(?:ue|hu)|Wed|Fri|S(?:at|un)), )?\d+ (?:J(?:an|u[nl])|Feb|Ma[ry]|A(?:pr|ug)|Sep|Oct|Nov|Dec) \d+ \d+:\d+(?::\d+)? \S+$`)
	rcvdIDRe       = mustRegex(` id <?([^\s<>;]{3,})`)
	rcvdHeloEqRe   = mustRegex(`\bhelo=([-A-Za-z0-9.^+_&:=?!@%*$\\/]+)`)
	rcvdHeloRe     = mustRegex(`\b(?:HELO|EHLO) ([-A-Za-z0-9.^+_&:=?!@%*$\\/]+)`)
	rcvdByRe       = mustRegex(` by (\S+?)(?:[^-A-Za-z0-9;.]|$)`)
	rcvdEnvFromRe  = regexp.MustCompile(`(?:return-path:? |envelope-(?:sender|from)[ =])(\S+)\b`) // on lower case
	rcvdAuthRe     = regexp.MustCompile(`(?i) with ((?:ES|L|UTF8S|UTF8L)MTPS?A|ASMTP|HTTP[SU]?)(?: |;|$)`)
	rcvdBracketIP  = mustRegex(`\[((?:IPv6:)?[0-9A-Fa-f:.]+)\]`)
	rcvdPostfixRe  = mustRegex(`^\S+ \((\S+) \[((?:IPv6:)?[0-9A-Fa-f:.]+)\]\)`)
	rcvdParenIP    = mustRegex(`\((\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\)`)
	rcvdLeadIP     = mustRegex(`^from (\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b`)
	rcvdRdnsIP     = mustRegex(`\(([^\s()\[\]]+?)\s*\[`)
	rcvdStripChars = regexp.MustCompile(`[\s\x00#\[\]()<>|]`)
	stripChars     = " \t\n\f\r\x00#[]()<>|" // rcvdStripChars' class
	rcvdFetchRe    = mustRegex(`with (?:POP3|IMAP)`)
	rcvdNoRelayRe  = mustRegex(`(?i)^from (\S+) by [^\s;]+ ?;`)
	rcvdByParenRe  = mustRegex(` by \S+ \(`)
	// rcvdUnparseableRe: from-headers Received.pm finds no format for
	// (its "unparseable" debug line), as met in the public corpus, after
	// the date is cut: Exchange 5.5's "from HOST - IP by", "from X (IP)
	// by Y" with no "with", an empty or "unknown" client, "from <addr>",
	// qmail's "(HELO x) (unknown)", "(IP[IP port:N])". The others
	// without an address are skipped (see parseReceived).
	rcvdUnparseableRe = mustRegex(`^(?i:from) (?:\S+ - \d{1,3}(?:\.\d{1,3}){3} by |\S+ \(\d{1,3}(?:\.\d{1,3}){3}\) by \S+$|by |unknown$|<|\S+ \(HELO \S+\) \(unknown\) by |\S+ \(\d{1,3}(?:\.\d{1,3}){3}\[)`)
	// the qmail form of Received.pm, up to its "(?! id )"
	rcvdQmailFormRe = regexp.MustCompile(`^\S+(?: \((?:HELO|EHLO) \S*\))? \((?:\S+@)?\[?\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\]?\)(?: \(envelope-sender <\S+>\))? by \S+(?: \(.+\))* with (?:.* )?(?:SMTP|QMQP)`)
)

// parseReceived returns the relay of one Received value; ok false means
// "no relay" (not a from-header), rel nil with ok true means unparseable.
func parseReceived(line string) (rel *relay, ok bool) {
	s := strings.Join(strings.Fields(line), " ")
	for strings.HasSuffix(s, ";") {
		s = strings.TrimSuffix(strings.TrimSuffix(s, ";"), " ")
	}
	if !strings.HasPrefix(strings.ToLower(strings.TrimPrefix(s, "(")), "from ") || strings.Contains(s, "with local for") {
		return nil, false
	}
	if m := rcvdNoRelayRe.FindSubmatch(s); m != nil && !strings.HasPrefix(m[1], "[") {
		return nil, false
	}
	s = trimRcvdDate(s) // rcvdDateTailRe.ReplaceAllString(s, "")
	if rcvdFetchRe.Match(s, "") {
		return &relay{fetcher: true}, false
	}
	if rcvdUnparseableRe.Match(s, "") {
		return nil, true
	}
	s = strings.Replace(s, ")by ", ") by ", 1)
	r := &relay{}
	if m := rcvdIDRe.FindSubmatch(s); m != nil {
		r.id = m[1]
	}
	// the literal tests spare the regexps (no literal prefix for Go's
	// regexp to seek) a scan of headers that cannot match
	if m := matchIf(s, "helo=", rcvdHeloEqRe); m != nil {
		r.helo = m[1]
	} else if m := matchIf(s, "LO ", rcvdHeloRe); m != nil {
		r.helo = m[1]
	}
	if m := rcvdByRe.FindSubmatch(s); m != nil {
		r.by = strings.TrimSuffix(m[1], ";")
	}
	r.envfrom, r.hasEnvfrom = rcvdEnvFrom(s)
	if a, ok := rcvdAuth(s); ok && strings.Contains(s, " by ") { // rcvdAuthRe
		r.auth = a
	}
	from := strings.TrimPrefix(s, "(")[5:]
	if i := strings.Index(from, " by "); i >= 0 {
		from = from[:i]
	}
	first, _, _ := strings.Cut(from, " ")
	if !r.readFrom(s, from, first) {
		// QUIRK: SpamAssassin knows many IP-less local formats and skips
		// them; mailwall skips every from-header without an address.
		return nil, false
	}
	if r.helo == "" {
		r.helo = first
	}
	if i := strings.LastIndexByte(r.rdns, '@'); i >= 0 {
		r.ident, r.rdns = r.rdns[:i], r.rdns[i+1:]
	}
	if strings.EqualFold(r.rdns, "unknown") || strings.HasPrefix(r.rdns, "[") {
		r.rdns = ""
	}
	r.rdns = strings.TrimRight(r.rdns, ".")
	for _, p := range []*string{&r.ip, &r.rdns, &r.helo, &r.by, &r.envfrom, &r.ident} {
		if strings.ContainsAny(*p, stripChars) {
			*p = rcvdStripChars.ReplaceAllString(*p, "!")
		}
	}
	r.private = isPrivateIP(r.ip)
	return r, true
}

// readFrom reads the client's IP and rDNS from the from part of a
// Received value s (first: its first word); false when it names no
// address.
func (r *relay) readFrom(s, from, first string) bool {
	if m := rcvdPostfixRe.FindSubmatch(from); m != nil && strings.HasPrefix(first, "[") {
		// Postfix with an address literal HELO: "from [HELO] (RDNS [IP])"
		r.ip, r.rdns = strings.TrimPrefix(m[2], "IPv6:"), m[1]
		r.noRDNS = strings.EqualFold(m[1], "unknown")
	} else if m := rcvdBracketIP.FindSubmatch(from); m != nil {
		r.ip = strings.TrimPrefix(m[1], "IPv6:")
		switch {
		case strings.HasPrefix(first, "["):
			// exim "from [IP] (helo=X)": no rDNS
		case rcvdRdnsIP.Match(from, ""):
			r.rdns = rcvdRdnsIP.FindSubmatch(from)[1]
			// "<unknown.domain>[IP]" (attbi) is no look-up
			r.noRDNS = strings.EqualFold(r.rdns, "unknown") || strings.HasSuffix(r.rdns, "@")
		case strings.Contains(from, "(["+m[1]+"]") && strings.Contains(s, "(Exim"):
			r.rdns = first
		case strings.HasPrefix(from[len(first):], " (["+m[1]+"])") && qmailSMTP(strings.TrimPrefix(s, "(")[5:]):
			// qmail-ldap "from RDNS ([IP]) by MX with SMTP": the first
			// name is the rDNS (and the HELO)
			if !strings.EqualFold(first, "unknown") {
				r.rdns = first
			}
		case strings.HasPrefix(from[len(first):], " (["+m[1]+"])"):
			// sendmail "from HELO ([IP]) by MX (8.x...": it looks up
			// and found none (Lotus Domino never looks, IMP's HTTP
			// is no SMTP)
			r.noRDNS = rcvdByParenRe.Match(s, "") && !strings.Contains(s, "(Lotus") && !strings.Contains(s, "with HTTP")
		}
	} else if m := rcvdParenIP.FindSubmatch(from); m != nil {
		r.ip = m[1]
		r.rdns = first // qmail: "from RDNS (HELO x) (IP)"
		// qmail-smtpd (with SMTP or QMQP) writes "unknown" when its
		// caller passed no rDNS; the other "from RDNS (HELO x) (IP)" and
		// "from RDNS (IP)" MTAs looked it up and found none
		r.noRDNS = strings.EqualFold(first, "unknown") && !qmailSMTP(strings.TrimPrefix(s, "(")[5:])
	} else if m := rcvdLeadIP.FindSubmatch(s); m != nil {
		r.ip = m[1]
	} else {
		return false
	}
	return true
}

var privateNets = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"10.0.0.0/8", "127.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
		"169.254.0.0/16", "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24",
		"198.18.0.0/15", "224.0.0.0/3", "::1/128", "fc00::/7", "fe80::/10"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

func isPrivateIP(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range privateNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func relayString(list []*relay) string {
	parts := make([]string, len(list))
	for i, r := range list {
		parts[i] = r.String()
	}
	return strings.Join(parts, " ")
}

// relayPseudoHeader answers get() for X-Spam-Relays-*.
func (p *pms) relayPseudoHeader(name string) (string, bool) {
	if isASCII(name) && (len(name) < len("x-spam-relays-trusted") || !equalLowerASCII(name[:len("x-spam-relays-")], "x-spam-relays-")) {
		return "", false // not one of them, without lower-casing a copy
	}
	switch strings.ToLower(name) {
	case "x-spam-relays-trusted":
		return relayString(p.relays().trusted), true
	case "x-spam-relays-untrusted":
		return relayString(p.relays().untrusted), true
	case "x-spam-relays-internal":
		return relayString(p.relays().internal), true
	case "x-spam-relays-external":
		return relayString(p.relays().external), true
	}
	return "", false
}

// headersByRcvdIndex is get_all_hdrs_in_rcvd_index_range over decoded
// fields: start and end are Received indexes, -2 meaning open.
func (p *pms) headersByRcvdIndex(start, end int) []string {
	var out []string
	cur := -1
	for _, f := range p.m.Header {
		line := f.Name + ": " + f.Value + "\n"
		if strings.EqualFold(f.Name, "Received") {
			cur++
		}
		switch {
		case (start == -2 || start <= cur) && (end == -2 || cur < end):
			out = append(out, line)
		case end != -2 && cur == end:
			return append(out, line)
		}
	}
	return out
}

// rcvdEnvFrom is Received.pm's envelope sender of a "from " line: the
// word after "return-path:", "envelope-from" or "envelope-sender" (in any
// case), up to its last word boundary, without its angle brackets; none
// for "<>", which has no word boundary.
func rcvdEnvFrom(s string) (string, bool) {
	if !strings.HasPrefix(s, "from ") {
		return "", false
	}
	low := lowerASCII(s)
	if !strings.Contains(low, "return-path") && !strings.Contains(low, "envelope-") {
		return "", false
	}
	m := rcvdEnvFromRe.FindStringSubmatchIndex(low)
	if m == nil {
		return "", false
	}
	return strings.TrimRight(strings.TrimLeft(s[m[2]:m[3]], "<"), ">"), true
}

// matchIf is re.FindStringSubmatch(s) when s holds lit, which every
// match of re holds; nil otherwise.
func matchIf(s, lit string, re *Regex) []string {
	if !strings.Contains(s, lit) {
		return nil
	}
	return re.FindSubmatch(s)
}

// qmailSMTP reports whether the text after "from " is in the qmail form
// of Received.pm, which its "(?! id )" keeps from a sendmail line
// "with SMTP id ..." (Go's regexp has no look-ahead: the end of the
// match is checked instead).
func qmailSMTP(s string) bool {
	loc := rcvdQmailFormRe.FindStringIndex(s)
	return loc != nil && !strings.HasPrefix(s[loc[1]:], " id ")
}
