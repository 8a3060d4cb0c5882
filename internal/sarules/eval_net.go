package sarules

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// # Network tests
//
// Rules with tflags net (DNSEval, URIDNSBL, AskDNS, DKIM, SPF, DMARC) ask
// DNS. As in SpamAssassin, their queries are all started when a Check
// begins, run in parallel while the local rules are evaluated, and are
// gathered when the first network rule needs an answer; answers that
// have not come by CheckOptions.DNSTimeout count as no hit. With
// CheckOptions.Local (spamassassin -L) or without a DNSHook nothing is
// asked and no network rule hits.
//
// Look-ups of one Check are deduplicated by (type, name); caching across
// Checks is the DNSHook's job (internal/dnsbl caches by TTL).

// DNSRecordHook is implemented by a DNSHook that can also answer the
// record types SPF and URI name-server lists need. Without it, MX, NS,
// AAAA and PTR look-ups find nothing.
type DNSRecordHook interface {
	LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNS(ctx context.Context, name string) ([]string, error)
	LookupAddr(ctx context.Context, ip netip.Addr) ([]string, error)
}

// Envelope is the SMTP envelope of a message.
type Envelope struct {
	IP       netip.Addr // the client that sent the message to us
	Helo     string     // its HELO/EHLO name
	MailFrom string     // reverse-path, "" = null sender
}

// defaultDNSTimeout is SpamAssassin's rbl_timeout (15 s) shortened: a
// gateway holds the SMTP transaction open while it waits.
const defaultDNSTimeout = 10 * time.Second

// maxNetQueries bounds the look-ups in flight for one Check, so a message
// with hundreds of URIs does not open hundreds of sockets at once.
const maxNetQueries = 16

// netState is one Check's network look-ups.
type netState struct {
	ctx    context.Context
	cancel context.CancelFunc
	hook   DNSHook
	sem    chan struct{}
	wg     sync.WaitGroup
	done   chan struct{} // closed when every look-up has ended

	mu      sync.Mutex
	queries map[string]*netQuery // by "TYPE name"
	owners  map[string][]string  // "rule:X" / "set:Y" → query keys
	auth    authState            // DKIM, SPF, DMARC (eval_auth.go)
}

// netQuery is one look-up; ans and err are set before done is closed.
type netQuery struct {
	qtype, name string
	byName      bool // a domain list (127.0.0.1 is an error answer)
	done        chan struct{}
	ans         []string
	err         error
}

// netOn reports whether network rules run in this Check.
func (p *pms) netOn() bool { return p.net != nil }

// startNet plans and starts every look-up the active network rules need.
func (p *pms) startNet() {
	if p.set&1 == 0 || p.o.DNS == nil {
		return
	}
	timeout := p.o.DNSTimeout
	if timeout <= 0 {
		timeout = defaultDNSTimeout
	}
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	n := &netState{ctx: ctx, cancel: cancel, hook: p.o.DNS, sem: make(chan struct{}, maxNetQueries),
		done: make(chan struct{}), queries: map[string]*netQuery{}, owners: map[string][]string{}}
	p.net = n
	plan := p.rs.netPlan()
	p.planRBL(plan)
	p.planURIBL(plan)
	p.planAuth(plan)
	p.planAskdns(plan, false)
	go func() {
		n.wg.Wait()
		close(n.done)
	}()
}

// stopNet abandons look-ups still running when the Check ends.
func (p *pms) stopNet() {
	if p.net != nil {
		p.net.cancel()
	}
}

// wait blocks until every look-up has ended or the deadline passed.
func (n *netState) wait() {
	select {
	case <-n.done:
	case <-n.ctx.Done():
	}
}

// goNet runs f as one more look-up task of the Check.
func (n *netState) goNet(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// query starts (once per Check) a look-up of qtype name and records it
// under owner; it does not wait.
func (n *netState) query(owner, qtype, name string, byName bool) *netQuery {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	key := qtype + " " + name
	n.mu.Lock()
	defer n.mu.Unlock()
	n.owners[owner] = append(n.owners[owner], key)
	q := n.queries[key]
	if q != nil {
		q.byName = q.byName || byName
		return q
	}
	q = &netQuery{qtype: qtype, name: name, byName: byName, done: make(chan struct{})}
	n.queries[key] = q
	n.goNet(func() { n.run(q) })
	return q
}

// lookupNow starts a look-up (if needed) and waits for it.
func (n *netState) lookupNow(owner, qtype, name string) []string {
	q := n.query(owner, qtype, name, false)
	select {
	case <-q.done:
		return q.ans
	case <-n.ctx.Done():
		return nil
	}
}

func (n *netState) run(q *netQuery) {
	defer close(q.done)
	select {
	case n.sem <- struct{}{}:
		defer func() { <-n.sem }()
	case <-n.ctx.Done():
		q.err = n.ctx.Err()
		return
	}
	ctx := n.ctx
	switch q.qtype {
	case "A":
		addrs, err := n.hook.LookupA(ctx, q.name)
		q.ans, q.err = addrStrings(addrs), err
	case "TXT":
		q.ans, q.err = n.hook.LookupTXT(ctx, q.name)
	default:
		ext, ok := n.hook.(DNSRecordHook)
		if !ok {
			return
		}
		switch q.qtype {
		case "AAAA":
			addrs, err := ext.LookupAAAA(ctx, q.name)
			q.ans, q.err = addrStrings(addrs), err
		case "NS":
			q.ans, q.err = ext.LookupNS(ctx, q.name)
		case "MX":
			mx, err := ext.LookupMX(ctx, q.name)
			for _, m := range mx {
				q.ans = append(q.ans, m.Host)
			}
			q.err = err
		}
	}
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.Unmap().String()
	}
	return out
}

// netHits reports whether an answer of owner's finished look-ups passes t.
func (p *pms) netHits(owner string, t *subtest) bool {
	n := p.net
	if n == nil {
		return false
	}
	n.wait()
	n.mu.Lock()
	keys := n.owners[owner]
	qs := make([]*netQuery, 0, len(keys))
	byName := make([]bool, 0, len(keys))
	for _, k := range keys {
		qs = append(qs, n.queries[k])
		byName = append(byName, n.queries[k].byName)
	}
	n.mu.Unlock()
	for i, q := range qs {
		select {
		case <-q.done:
		default:
			continue // late: no hit
		}
		for _, a := range q.ans {
			if t.match(a, q.qtype == "A", byName[i]) {
				return true
			}
		}
	}
	return false
}

// netPlan lists the network rules of a Ruleset by kind, once.
type netPlan struct {
	rbl    []*Rule // check_rbl, check_rbl_txt, check_rbl_envfrom, ...
	uribl  []*Rule // check_uridnsbl
	askdns []*Rule
	auth   map[string]bool // DKIM, SPF, DMARC eval names in use
}

func (rs *Ruleset) netPlan() *netPlan {
	rs.net.once.Do(func() {
		pl := &netPlan{auth: map[string]bool{}}
		for _, r := range rs.order {
			switch {
			case rblQueryEvals[r.Eval]:
				pl.rbl = append(pl.rbl, r)
			case r.Eval == "check_uridnsbl":
				pl.uribl = append(pl.uribl, r)
			case r.Eval == "check_askdns":
				pl.askdns = append(pl.askdns, r)
			case authEvals[r.Eval] != nil:
				pl.auth[r.Eval] = true
			}
		}
		rs.net.plan = pl
	})
	return rs.net.plan
}

// reverseIP is an address as a DNSBL query label sequence (RFC 5782 2.1,
// 2.4), without the zone.
func reverseIP(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		a := ip.As4()
		return itoa(int(a[3])) + "." + itoa(int(a[2])) + "." + itoa(int(a[1])) + "." + itoa(int(a[0]))
	}
	const hex = "0123456789abcdef"
	a := ip.As16()
	var b strings.Builder
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[a[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		if i > 0 {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
