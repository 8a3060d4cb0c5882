package policy

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"mailwall/internal/envelope"
	"mailwall/internal/smtp"
)

// # Access map format
//
// The sendmail access database source (the text given to makemap), read
// as-is: one entry per line, "key<whitespace>value"; blank lines and lines
// starting with '#' are ignored. Keys are case-insensitive:
//
//	192.168.3.4            an IPv4 address
//	192.168.3  172.16      an IPv4 prefix on octet boundaries
//	10.0.0.0/8             a CIDR (not in sendmail; accepted here)
//	IPv6:2001:db8::1       an IPv6 address (sendmail's "IPv6:" prefix);
//	IPv6:2001:db8::/32     or CIDR
//	spammail.com           a domain: sender/recipient domain, client host
//	                       name; matches its subdomains too
//	spam@hacker.com        a full address
//	info@                  a local part on any domain
//
// A key may carry a tag that limits it to one stage: "Connect:" (client IP
// and host name), "From:" (envelope sender), "To:" (recipient). A tagged
// key is looked up before the untagged one. Other sendmail tags
// (GreetPause:, ClientRate:, Spam: ...) are skipped with a warning.
//
// Values (RFC 3463 enhanced codes):
//
//	OK         accept; skip the later block rules
//	RELAY      Connect/IP/host: the client may relay; To: domain: mail to
//	           it may be relayed; From: as OK
//	REJECT     550 5.7.1 Access denied (554 at connect)
//	DISCARD    accept and drop the message
//	SKIP       stop looking for less specific keys of this kind
//	ERROR:5.7.1:550 text       custom reply with enhanced code
//	ERROR:"553 text"           custom reply (quotes optional)
//	ERROR:550 text, 550 text   the same, without enhanced code
//
// Lookups go from the most to the least specific key: address, then
// domain and its parents, then "user@"; IP, then shorter prefixes and
// CIDRs by length. Duplicate keys: the first wins (as makemap does), with
// a warning.

// accessValue is the parsed right-hand side of an entry.
type accessValue struct {
	action Action // OK, Relay, Reject, TempFail, Discard; Continue = SKIP
	code   int
	enh    smtp.EnhancedCode
	text   string
	line   int
}

type tag int

const (
	tagNone tag = iota
	tagConnect
	tagFrom
	tagTo
	numTags
)

// accessMap is an immutable parsed map.
type accessMap struct {
	name     string
	keys     [numTags]map[string]accessValue // exact keys: IPs, domains, addresses, "user@"
	cidrs    [numTags]cidrTable              // CIDR and IPv6 keys
	warnings []string
}

// cidrTable finds the longest matching prefix with one map probe per
// distinct prefix length, so 10,000 CIDRs cost what a handful do.
type cidrTable struct {
	byLen map[int]map[netip.Prefix]accessValue
	lens  []int // distinct lengths, longest first
}

// knownTags are sendmail tags that mailwall does not use.
var knownTags = []string{"greetpause", "clientrate", "clientconn", "spam", "compat", "qgrp",
	"auth", "srv_features", "try_tls", "tls_clt", "tls_srv", "verify", "tls_rcpt", "mailer"}

// maxAccessLine bounds one line; sendmail's own limit is similar (MAXLINE).
const maxAccessLine = 4096

// parseAccessMap parses an access file; errors name name:line.
func parseAccessMap(name string, data []byte) (*accessMap, error) {
	m := &accessMap{name: name}
	for t := range m.keys {
		m.keys[t] = map[string]accessValue{}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1024), maxAccessLine)
	var errs []string
	for line := 1; sc.Scan(); line++ {
		if err := m.parseLine(sc.Text(), line); err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %v", name, line, err))
			if len(errs) >= 20 {
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Sprintf("%s: %v", name, err))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("access map: %s", strings.Join(errs, "; "))
	}
	return m, nil
}

func (m *accessMap) parseLine(s string, line int) error {
	s = strings.TrimRight(s, "\r")
	t := strings.TrimSpace(s)
	if t == "" || t[0] == '#' {
		return nil
	}
	i := strings.IndexAny(t, " \t")
	if i < 0 {
		return fmt.Errorf("key %q has no value", t)
	}
	key, val := t[:i], strings.TrimSpace(t[i+1:])
	tg, key, ok, err := splitTag(key)
	if err != nil {
		return err
	}
	if !ok {
		m.warnings = append(m.warnings, fmt.Sprintf("%s:%d: tag not used by mailwall, entry skipped", m.name, line))
		return nil
	}
	v, err := parseAccessValue(val)
	if err != nil {
		return err
	}
	v.line = line
	if p, isCIDR, err := parseIPKey(key); err != nil {
		return err
	} else if isCIDR {
		if _, dup := m.cidrs[tg].byLen[p.Bits()][p]; dup {
			m.warnings = append(m.warnings, fmt.Sprintf("%s:%d: duplicate key %q, first one wins", m.name, line, key))
			return nil
		}
		m.cidrs[tg].add(p, v)
		return nil
	}
	k, err := normalizeKey(key)
	if err != nil {
		return err
	}
	if old, dup := m.keys[tg][k]; dup {
		m.warnings = append(m.warnings, fmt.Sprintf("%s:%d: duplicate key %q, line %d wins", m.name, line, key, old.line))
		return nil
	}
	m.keys[tg][k] = v
	return nil
}

// splitTag splits "From:spam@x" into its tag; ok is false for a tag
// mailwall skips.
func splitTag(key string) (tag, string, bool, error) {
	c := strings.IndexByte(key, ':')
	if c <= 0 || strings.HasPrefix(strings.ToLower(key), "ipv6:") {
		return tagNone, key, true, nil
	}
	name, rest := strings.ToLower(key[:c]), key[c+1:]
	if rest == "" {
		return 0, "", false, fmt.Errorf("empty key after tag %q", key[:c+1])
	}
	switch name {
	case "connect":
		return tagConnect, rest, true, nil
	case "from":
		return tagFrom, rest, true, nil
	case "to":
		return tagTo, rest, true, nil
	}
	for _, k := range knownTags {
		if name == k {
			return 0, "", false, nil
		}
	}
	return 0, "", false, fmt.Errorf("unknown tag %q", key[:c+1])
}

// parseIPKey recognises CIDRs and IPv6 keys, which go to the prefix list.
// Plain IPv4 addresses and octet prefixes stay exact keys ("172.16").
func parseIPKey(key string) (netip.Prefix, bool, error) {
	k := key
	if len(k) > 5 && strings.EqualFold(k[:5], "ipv6:") {
		k = k[5:]
		if strings.Contains(k, "/") {
			p, err := netip.ParsePrefix(k)
			if err != nil || !p.Addr().Is6() {
				return netip.Prefix{}, false, fmt.Errorf("bad IPv6 prefix %q", key)
			}
			return p.Masked(), true, nil
		}
		a, err := netip.ParseAddr(k)
		if err != nil || !a.Is6() {
			return netip.Prefix{}, false, fmt.Errorf("bad IPv6 address %q", key)
		}
		return netip.PrefixFrom(a, 128), true, nil
	}
	if strings.Contains(k, "/") && !strings.Contains(k, "@") {
		p, err := netip.ParsePrefix(k)
		if err != nil {
			return netip.Prefix{}, false, fmt.Errorf("bad CIDR %q", key)
		}
		return p.Masked(), true, nil
	}
	return netip.Prefix{}, false, nil
}

// normalizeKey lower-cases a key and checks its shape.
func normalizeKey(key string) (string, error) {
	k := strings.ToLower(key)
	if isIPv4Prefix(k) {
		return k, nil
	}
	at := strings.LastIndexByte(k, '@')
	switch {
	case at < 0:
		d, err := envelope.NormalizeDomain(k)
		if err != nil {
			return "", fmt.Errorf("bad key %q", key)
		}
		return d, nil
	case at == len(k)-1:
		if at == 0 {
			return "", fmt.Errorf("bad key %q", key)
		}
		return k, nil // "user@"
	}
	a, err := envelope.ParseAddress(key)
	if err != nil || a.Domain == "" {
		return "", fmt.Errorf("bad address key %q", key)
	}
	return strings.ToLower(a.Local) + "@" + a.Domain, nil
}

// isIPv4Prefix: 1 to 4 decimal octets separated by dots.
func isIPv4Prefix(k string) bool {
	parts := strings.Split(k, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 || len(p) > 3 || p[0] == '+' || p[0] == '-' {
			return false
		}
	}
	return true
}
