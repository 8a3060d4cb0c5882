package sarules

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// # Network rule settings
//
// The URIDNSBL and AskDNS plugins define their rules with directives of
// their own (Mail::SpamAssassin::Plugin::URIDNSBL, ::AskDNS):
//
//	uridnsbl  RULE ZONE TYPE          name servers' / A records' IPs, any answer
//	uridnssub RULE ZONE TYPE SUBTEST  the same, answers filtered
//	urirhsbl  RULE ZONE TYPE          the URI's registrable domain, any answer
//	urirhssub RULE ZONE TYPE SUBTEST  the same, answers filtered
//	uridnsbl_skip_domain DOMAIN ...   never looked up
//	util_rb_tld TLD ...               more top-level domains
//	askdns    RULE QUERY [TYPE [SUBTEST]]
//
// The rule itself is "body RULE eval:check_uridnsbl('RULE')"; an askdns
// line defines its rule (a header eval with tflags net).

// netConf is the parsed network-rule configuration of a Ruleset.
type netConf struct {
	uribl  map[string]*uriblDef  // by rule name
	askdns map[string]*askdnsDef // by rule name
	skip   map[string]bool       // uridnsbl_skip_domain
	tld    map[string]bool       // util_rb_tld

	once     sync.Once
	plan     *netPlan // net rules by kind, built on first Check (eval_net.go)
	subtests sync.Map // subtest source → *subtest, parsed once
}

type uriblDef struct {
	zone  string
	qtype string // A or TXT
	rhs   bool   // urirhs*: the domain itself; uridns*: its IPs
	sub   *subtest
}

type askdnsDef struct {
	query string // with _PLACEHOLDERS_
	qtype string
	sub   *subtest
}

func (c *netConf) init() {
	if c.uribl == nil {
		c.uribl, c.askdns = map[string]*uriblDef{}, map[string]*askdnsDef{}
		c.skip, c.tld = map[string]bool{}, map[string]bool{}
	}
}

// netSetting applies a URIDNSBL or AskDNS directive; it reports whether
// key is one.
func (p *parser) netSetting(key, value string) bool {
	c := &p.rs.net
	f := strings.Fields(value)
	switch key {
	case "uridnsbl", "urirhsbl", "uridnssub", "urirhssub":
		c.init()
		want := 3
		if strings.HasSuffix(key, "sub") {
			want = 4
		}
		if len(f) != want {
			p.diag(Error, "%s needs %d fields", key, want)
			return true
		}
		d := &uriblDef{zone: strings.TrimSuffix(strings.ToLower(f[1]), "."), qtype: strings.ToUpper(f[2]), rhs: strings.HasPrefix(key, "urirhs")}
		if want == 4 {
			d.sub = parseSubtest(f[3])
		}
		c.uribl[f[0]] = d
	case "uridnsbl_skip_domain":
		c.init()
		for _, d := range f {
			c.skip[strings.ToLower(d)] = true
		}
	case "util_rb_tld":
		c.init()
		for _, d := range f {
			c.tld[strings.ToLower(d)] = true
		}
	case "askdns":
		c.init()
		if len(f) < 2 || !validRuleName(f[0]) {
			p.diag(Error, "askdns needs a rule name and a query")
			return true
		}
		d := &askdnsDef{query: strings.TrimSuffix(f[1], "."), qtype: "A"}
		if len(f) > 2 {
			d.qtype = strings.ToUpper(f[2])
		}
		if len(f) > 3 {
			d.sub = parseAskdnsSubtest(strings.Join(f[3:], " "))
		}
		c.askdns[f[0]] = d
		p.defineRule(TypeHeader, f[0]+" eval:check_askdns()")
		if t := p.rs.tflags[f[0]]; !strings.Contains(" "+t+" ", " net ") {
			p.rs.tflags[f[0]] = strings.TrimSpace(t + " net")
		}
	default:
		return false
	}
	return true
}

// # Subtests
//
// A subtest filters a list's answers (DNSEval check_rbl_sub, uridnssub,
// askdns): "127.0.0.2" is an exact answer, "127.0.0.0/24" or
// "127.0.0.0/255.255.255.0" a range, a plain number ("8", "0x10") a
// bitmask over the answer's last octets, anything else a regular
// expression matched against the answer (the address or TXT text).

type subtest struct {
	src  string
	ip   netip.Addr   // exact address
	pfx  netip.Prefix // range
	mask uint32       // bitmask (0: not a bitmask)
	re   *regexp.Regexp
	str  string // askdns: a literal string compared exactly
}

var dottedQuadRe = regexp.MustCompile(`^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$`)

func parseSubtest(s string) *subtest {
	t := &subtest{src: s}
	if dottedQuadRe.MatchString(s) {
		if a, err := netip.ParseAddr(s); err == nil {
			t.ip = a
			return t
		}
	}
	if addr, bits, ok := strings.Cut(s, "/"); ok && dottedQuadRe.MatchString(addr) {
		a, err := netip.ParseAddr(addr)
		if n, err2 := strconv.Atoi(bits); err == nil && err2 == nil && n >= 0 && n <= 32 {
			t.pfx = netip.PrefixFrom(a, n).Masked()
			return t
		}
		if m, err2 := netip.ParseAddr(bits); err == nil && err2 == nil && m.Is4() {
			ones := 0
			for _, b := range m.As4() {
				for ; b&0x80 != 0; b <<= 1 {
					ones++
				}
			}
			t.pfx = netip.PrefixFrom(a, ones).Masked()
			return t
		}
	}
	if n, err := strconv.ParseUint(s, 0, 32); err == nil && n > 0 {
		t.mask = uint32(n)
		return t
	}
	re, err := regexp.Compile(s)
	if err != nil {
		re = regexp.MustCompile(`$.^`) // QUIRK: an invalid pattern never matches
	}
	t.re = re
	return t
}

// parseAskdnsSubtest reads askdns's subtest: /regex/flags, an address
// form, or a literal string.
func parseAskdnsSubtest(s string) *subtest {
	if len(s) >= 2 && s[0] == '/' {
		if end := strings.LastIndexByte(s, '/'); end > 0 {
			pat, flags := s[1:end], s[end+1:]
			if strings.Contains(flags, "i") {
				pat = "(?i)" + pat
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				re = regexp.MustCompile(`$.^`)
			}
			return &subtest{src: s, re: re}
		}
	}
	if t := parseSubtest(s); t.re == nil {
		return t
	}
	return &subtest{src: s, str: s}
}

// DNSBL answers that are not listings (RFC 5782 5: only 127.0.0.0/8 is a
// listing). QUIRK: Spamhaus answers 127.255.255.252-255 for refused or
// over-quota queries and URIBL 127.0.0.1 for a refused name query; they
// only count for a rule whose subtest asks for that exact answer (the
// stock *_BLOCKED rules), never as a listing.
var (
	loopbackNet  = netip.MustParsePrefix("127.0.0.0/8")
	dnsblErrNet  = netip.MustParsePrefix("127.255.255.0/24")
	uriblRefused = netip.MustParseAddr("127.0.0.1")
)

// match reports whether answer ans (an address for A queries, text for
// TXT) passes t; t nil means "any listing". byName: the query was for a
// name, where 127.0.0.1 is an error answer too.
func (t *subtest) match(ans string, isA, byName bool) bool {
	var a netip.Addr
	if isA {
		var err error
		if a, err = netip.ParseAddr(ans); err != nil {
			return false
		}
	}
	isErr := isA && (dnsblErrNet.Contains(a) || byName && a == uriblRefused)
	switch {
	case t == nil:
		return !isA || loopbackNet.Contains(a) && !isErr
	case t.ip.IsValid():
		return isA && a == t.ip
	case t.pfx.IsValid():
		return isA && t.pfx.Contains(a)
	case t.mask != 0:
		if !isA || !a.Is4() || !loopbackNet.Contains(a) || dnsblErrNet.Contains(a) {
			return false
		}
		b := a.As4()
		return (uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))&t.mask != 0
	case t.re != nil:
		return t.re.MatchString(ans)
	}
	return ans == t.str
}
