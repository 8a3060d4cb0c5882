package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"mailwall/internal/smtp"
)

// parseAccessValue parses the right-hand side of an access entry.
func parseAccessValue(v string) (accessValue, error) {
	switch strings.ToUpper(v) {
	case "OK":
		return accessValue{action: OK}, nil
	case "RELAY":
		return accessValue{action: Relay}, nil
	case "REJECT":
		return accessValue{action: Reject, code: 550, enh: smtp.EnhancedCode{5, 7, 1}, text: "Access denied"}, nil
	case "DISCARD":
		return accessValue{action: Discard}, nil
	case "SKIP":
		return accessValue{action: Continue}, nil
	}
	rest := v
	if len(v) >= 6 && strings.EqualFold(v[:6], "ERROR:") {
		rest = v[6:]
	} else if len(v) < 3 || v[0] < '0' || v[0] > '9' && v[0] != '"' {
		return accessValue{}, fmt.Errorf("unknown value %q (want OK, RELAY, REJECT, DISCARD, SKIP or ERROR:...)", v)
	}
	if len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"' {
		rest = rest[1 : len(rest)-1]
	}
	return parseErrorValue(rest)
}

// parseErrorValue parses "5.7.1:550 text", "550 5.7.1 text" or "550 text".
func parseErrorValue(s string) (accessValue, error) {
	var enh smtp.EnhancedCode
	if c := strings.IndexByte(s, ':'); c > 0 && c <= 11 {
		e, ok := parseEnhanced(s[:c])
		if !ok {
			return accessValue{}, fmt.Errorf("bad enhanced status code %q", s[:c])
		}
		enh, s = e, s[c+1:]
	}
	if len(s) < 3 {
		return accessValue{}, fmt.Errorf("ERROR value needs a reply code")
	}
	code, err := strconv.Atoi(s[:3])
	if err != nil || code < 400 || code > 599 || len(s) > 3 && s[3] != ' ' && s[3] != '-' {
		return accessValue{}, fmt.Errorf("bad reply code in %q (want 4xx or 5xx)", s)
	}
	text := strings.TrimSpace(s[min(4, len(s)):])
	if f := strings.Fields(text); enh[0] == 0 && len(f) > 0 {
		if e, ok := parseEnhanced(f[0]); ok {
			enh, text = e, strings.TrimSpace(text[len(f[0]):])
		}
	}
	if enh[0] == 0 {
		enh = smtp.EnhancedCode{code / 100, 7, 1}
	}
	if enh[0] != code/100 {
		return accessValue{}, fmt.Errorf("enhanced code %v does not match reply code %d", enh, code)
	}
	if text == "" {
		text = "Access denied"
	}
	act := Reject
	if code < 500 {
		act = TempFail
	}
	return accessValue{action: act, code: code, enh: enh, text: text}, nil
}

// parseEnhanced parses "5.7.1" (RFC 3463 2: class.subject.detail).
func parseEnhanced(s string) (smtp.EnhancedCode, bool) {
	p := strings.Split(s, ".")
	if len(p) != 3 {
		return smtp.EnhancedCode{}, false
	}
	var e smtp.EnhancedCode
	for i, x := range p {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > 999 || len(x) > 3 {
			return smtp.EnhancedCode{}, false
		}
		e[i] = n
	}
	if e[0] != 4 && e[0] != 5 && e[0] != 2 {
		return smtp.EnhancedCode{}, false
	}
	return e, true
}

func (c *cidrTable) add(p netip.Prefix, v accessValue) {
	if c.byLen == nil {
		c.byLen = map[int]map[netip.Prefix]accessValue{}
	}
	n := p.Bits()
	if p.Addr().Is6() {
		n += 1000 // keep IPv4 and IPv6 lengths apart
	}
	if c.byLen[n] == nil {
		c.byLen[n] = map[netip.Prefix]accessValue{}
		c.lens = append(c.lens, n)
		slices.SortFunc(c.lens, func(a, b int) int { return b - a })
	}
	c.byLen[n][p] = v
}

// match returns the longest prefix containing ip.
func (c *cidrTable) match(ip netip.Addr) (netip.Prefix, accessValue, bool) {
	off := 0
	if ip.Is6() {
		off = 1000
	}
	for _, n := range c.lens {
		bits := n - off
		if bits < 0 || bits > ip.BitLen() {
			continue
		}
		p, err := ip.Prefix(bits)
		if err != nil {
			continue
		}
		if v, ok := c.byLen[n][p]; ok {
			return p, v, true
		}
	}
	return netip.Prefix{}, accessValue{}, false
}

// hit is the result of a lookup: the value and the key that matched.
type hit struct {
	v   accessValue
	key string
}

// lookup tries keys in order, tagged then untagged; SKIP ends the search.
func (m *accessMap) lookup(t tag, keys []string) (hit, bool) {
	for _, k := range keys {
		for _, tg := range []tag{t, tagNone} {
			if v, ok := m.keys[tg][k]; ok {
				if v.action == Continue {
					return hit{}, false
				}
				return hit{v, k}, true
			}
			if tg == tagNone {
				break
			}
		}
	}
	return hit{}, false
}

// lookupIP finds the longest matching IP key: the address, its octet
// prefixes ("192.168.3", "172.16") and CIDRs. At equal length a tagged key
// beats an untagged one; a SKIP as the best match means no match.
func (m *accessMap) lookupIP(t tag, ip netip.Addr) (hit, bool) {
	ip = ip.Unmap()
	var best hit
	bestBits, bestTagged, found := -1, false, false
	consider := func(bits int, tg tag, v accessValue, key string) {
		tagged := tg != tagNone
		if bits > bestBits || bits == bestBits && tagged && !bestTagged {
			best, bestBits, bestTagged, found = hit{v, key}, bits, tagged, true
		}
	}
	tags := []tag{t}
	if t != tagNone {
		tags = append(tags, tagNone)
	}
	for _, tg := range tags {
		if ip.Is4() {
			a := ip.As4()
			key := ""
			for n := range 4 {
				if n > 0 {
					key += "."
				}
				key += strconv.Itoa(int(a[n]))
				if v, ok := m.keys[tg][key]; ok {
					consider(8*(n+1), tg, v, key)
				}
			}
		}
		if p, v, ok := m.cidrs[tg].match(ip); ok {
			consider(p.Bits(), tg, v, p.String())
		}
	}
	if !found || best.v.action == Continue {
		return hit{}, false
	}
	return best, true
}

// addressKeys lists the keys for an address, most specific first: the
// address, the domain and its parents, then "local@".
func addressKeys(local, domain string) []string {
	var keys []string
	l := strings.ToLower(local)
	if domain != "" {
		keys = append(keys, l+"@"+domain)
		keys = append(keys, domainKeys(domain)...)
	}
	if l != "" {
		keys = append(keys, l+"@")
	}
	return keys
}

// domainKeys lists a domain and its parents: a.b.c, b.c, c.
func domainKeys(d string) []string {
	var keys []string
	for d != "" {
		keys = append(keys, d)
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	return keys
}
