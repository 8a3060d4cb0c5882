package sarules

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// # DKIM, SPF and DMARC
//
// DKIM signatures are verified (RFC 6376) with go-msgauth, its key
// look-ups going through the DNSHook. SPF (RFC 7208) is checked with
// blitiri.com.ar/go/spf for the envelope sender and, separately, the HELO
// name of the client that handed the message to us: CheckOptions.Envelope
// when the caller knows it and its address is public, else the first
// untrusted relay of the Received path and the envelope sender the
// headers give (as SpamAssassin's SPF plugin). DMARC (RFC 7489) combines
// both for the From domain: pass when a valid DKIM signature or an SPF
// pass is aligned with it, else fail with the published policy.
//
// All three start with the other look-ups when a Check begins; DMARC and
// the askdns rules that need _DKIMDOMAIN_ follow DKIM in the same task.

// maxDKIMSignatures bounds the signatures verified per message (each
// costs a key look-up and an RSA verification).
const maxDKIMSignatures = 5

// authState holds the authentication results of one Check.
type authState struct {
	mu sync.Mutex
	authResult
}

type authResult struct {
	dkimDone bool
	dkim     []*dkim.Verification
	signed   bool // a DKIM-Signature field exists
	spfDone  bool
	spf      spf.Result // MAIL FROM identity ("" = not checked)
	spfHelo  spf.Result // HELO identity
	mfDomain string     // domain SPF checked for MAIL FROM

	dmarcDone   bool
	dmarcResult string // "pass", "fail", "missing", "" = not checked
	dmarcPolicy dmarc.Policy
}

func (a *authState) validDKIMDomains() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, v := range a.dkim {
		if v.Err == nil {
			out = append(out, strings.ToLower(v.Domain))
		}
	}
	return out
}

// askdnsDeferred is an askdns look-up waiting for the DKIM domains.
type askdnsDeferred struct {
	owner, qtype string
	names        []string // with _DKIMDOMAIN_ still in them
}

func (p *pms) planAuth(pl *netPlan) {
	n := p.net
	usesDMARC := pl.auth["check_dmarc_pass"] || pl.auth["check_dmarc_reject"] || pl.auth["check_dmarc_quarantine"] ||
		pl.auth["check_dmarc_none"] || pl.auth["check_dmarc_missing"]
	usesSPF, usesDKIM := usesDMARC, usesDMARC
	for e := range pl.auth {
		usesSPF = usesSPF || strings.HasPrefix(e, "check_for_spf_")
		usesDKIM = usesDKIM || strings.HasPrefix(e, "check_dkim_")
	}
	// Everything the tasks need from the message is read here, on the
	// checking goroutine: pms is not safe for concurrent use.
	raw := p.m.Raw
	signed := len(headerValues(p.m.Header, "DKIM-Signature", true)) > 0
	var deferred []askdnsDeferred
	for _, r := range pl.askdns {
		def := p.rs.net.askdns[r.Name]
		if def != nil && r.runs(p.set) && strings.Contains(def.query, "_DKIMDOMAIN_") {
			deferred = append(deferred, askdnsDeferred{"rule:" + r.Name, def.qtype, p.askdnsQueries(def.query)})
		}
	}
	ip, helo, mailFrom := p.spfIdentity()
	var fromDomain string
	if from := p.getList("From:addr"); len(from) == 1 {
		if i := strings.LastIndexByte(from[0], '@'); i >= 0 {
			fromDomain = strings.ToLower(strings.Trim(from[0][i+1:], ". "))
		}
	}
	n.auth.signed = signed
	usesDKIM = usesDKIM || len(deferred) > 0

	dkimDone, spfDone := make(chan struct{}), make(chan struct{})
	n.goNet(func() {
		defer close(dkimDone)
		if !usesDKIM {
			return
		}
		var vs []*dkim.Verification
		if signed {
			vs, _ = dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
				LookupTXT: n.lookupTXTFunc(), MaxVerifications: maxDKIMSignatures})
		}
		n.auth.mu.Lock()
		n.auth.dkim, n.auth.dkimDone = vs, true
		n.auth.mu.Unlock()
		doms := n.auth.validDKIMDomains()
		for _, d := range deferred {
			for _, name := range d.names {
				for _, dom := range doms {
					n.query(d.owner, d.qtype, strings.ReplaceAll(name, "_DKIMDOMAIN_", dom), true)
				}
			}
		}
	})
	n.goNet(func() {
		defer close(spfDone)
		if !usesSPF || !ip.IsValid() {
			return
		}
		res := spfResolver{n}
		mf, _ := spf.CheckHostWithSender(net.IP(ip.AsSlice()), helo, mailFrom, spf.WithContext(n.ctx), spf.WithResolver(res))
		var hr spf.Result
		if strings.Contains(helo, ".") && !isIPLiteral(helo) {
			hr, _ = spf.CheckHostWithSender(net.IP(ip.AsSlice()), helo, "postmaster@"+helo, spf.WithContext(n.ctx), spf.WithResolver(res))
		}
		dom := helo
		if i := strings.LastIndexByte(mailFrom, '@'); i >= 0 {
			dom = mailFrom[i+1:]
		}
		n.auth.mu.Lock()
		n.auth.spf, n.auth.spfHelo, n.auth.mfDomain, n.auth.spfDone = mf, hr, strings.ToLower(dom), true
		n.auth.mu.Unlock()
	})
	if usesDMARC && fromDomain != "" {
		n.goNet(func() {
			for _, c := range []chan struct{}{dkimDone, spfDone} {
				select {
				case <-c:
				case <-n.ctx.Done():
					return
				}
			}
			n.dmarc(fromDomain)
		})
	}
}

func isIPLiteral(s string) bool {
	_, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return err == nil || strings.HasPrefix(s, "[")
}

// spfIdentity is the client address, HELO and MAIL FROM that SPF checks.
func (p *pms) spfIdentity() (netip.Addr, string, string) {
	if e := p.o.Envelope; e != nil && e.IP.IsValid() && !isPrivateIP(e.IP.Unmap().String()) && !e.IP.IsLoopback() {
		return e.IP.Unmap(), e.Helo, e.MailFrom
	}
	ri := p.relays()
	if len(ri.untrusted) == 0 {
		return netip.Addr{}, "", "" // all trusted: nothing to check
	}
	first := ri.untrusted[0]
	ip, err := netip.ParseAddr(first.ip)
	if err != nil {
		return netip.Addr{}, "", ""
	}
	return ip.Unmap(), first.helo, p.envelopeFrom()
}

// lookupTXTFunc adapts the DNSHook for go-msgauth, whose look-ups take no
// context.
func (n *netState) lookupTXTFunc() func(string) ([]string, error) {
	return func(name string) ([]string, error) {
		txt, err := n.hook.LookupTXT(n.ctx, strings.TrimSuffix(name, "."))
		return txt, asDNSError(name, err)
	}
}

// asDNSError gives the libraries the *net.DNSError they inspect to tell
// "not found" (permanent) from a temporary failure.
func asDNSError(name string, err error) error {
	if err == nil {
		return nil
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return de
	}
	return &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true}
}

// spfResolver adapts the DNSHook to spf.DNSResolver.
type spfResolver struct{ n *netState }

func (r spfResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	txt, err := r.n.hook.LookupTXT(ctx, strings.TrimSuffix(name, "."))
	return txt, asDNSError(name, err)
}

func (r spfResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	ext, ok := r.n.hook.(DNSRecordHook)
	if !ok {
		return nil, &net.DNSError{Err: "MX look-ups not supported", Name: name, IsNotFound: true}
	}
	mx, err := ext.LookupMX(ctx, strings.TrimSuffix(name, "."))
	return mx, asDNSError(name, err)
}

func (r spfResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	host = strings.TrimSuffix(host, ".")
	v4, err := r.n.hook.LookupA(ctx, host)
	var v6 []netip.Addr
	if ext, ok := r.n.hook.(DNSRecordHook); ok {
		var err6 error
		v6, err6 = ext.LookupAAAA(ctx, host)
		if err == nil || err6 == nil {
			err = nil
		}
	}
	var out []net.IPAddr
	for _, a := range append(v4, v6...) {
		out = append(out, net.IPAddr{IP: net.IP(a.AsSlice())})
	}
	if len(out) > 0 {
		return out, nil
	}
	if err == nil {
		err = &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return nil, asDNSError(host, err)
}

func (r spfResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	ext, ok := r.n.hook.(DNSRecordHook)
	a, err := netip.ParseAddr(addr)
	if !ok || err != nil {
		return nil, &net.DNSError{Err: "no PTR", Name: addr, IsNotFound: true}
	}
	names, err := ext.LookupAddr(ctx, a)
	return names, asDNSError(addr, err)
}

// dmarc evaluates the From domain's DMARC policy (RFC 7489 6.6).
func (n *netState) dmarc(fromDomain string) {
	opts := &dmarc.LookupOptions{LookupTXT: n.lookupTXTFunc()}
	org, _ := publicsuffix.EffectiveTLDPlusOne(fromDomain)
	rec, err := dmarc.LookupWithOptions(fromDomain, opts)
	if errors.Is(err, dmarc.ErrNoPolicy) && org != "" && org != fromDomain {
		rec, err = dmarc.LookupWithOptions(org, opts) // RFC 7489 6.6.3: organizational domain
	}
	result, policy := "", dmarc.Policy("")
	switch {
	case errors.Is(err, dmarc.ErrNoPolicy):
		result = "missing"
	case err != nil:
		return // temporary failure or a broken record: no DMARC rule hits
	default:
		result, policy = "fail", rec.Policy
		if rec.SubdomainPolicy != "" && org != "" && org != fromDomain {
			policy = rec.SubdomainPolicy
		}
		aligned := func(d string, strict bool) bool {
			d = strings.ToLower(d)
			if strict || d == fromDomain {
				return d == fromDomain
			}
			o, _ := publicsuffix.EffectiveTLDPlusOne(d)
			return o != "" && o == org
		}
		n.auth.mu.Lock()
		for _, v := range n.auth.dkim {
			if v.Err == nil && aligned(v.Domain, rec.DKIMAlignment == dmarc.AlignmentStrict) {
				result = "pass"
			}
		}
		if n.auth.spf == spf.Pass && aligned(n.auth.mfDomain, rec.SPFAlignment == dmarc.AlignmentStrict) {
			result = "pass"
		}
		n.auth.mu.Unlock()
	}
	n.auth.mu.Lock()
	n.auth.dmarcResult, n.auth.dmarcPolicy, n.auth.dmarcDone = result, policy, true
	n.auth.mu.Unlock()
}
