// Package smtptest holds helpers for tests of the SMTP protocol and its
// peers, in the spirit of net/http/httptest: a fake DNS server on
// 127.0.0.1:0 (dns.go), and what other files add.
package smtptest

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// # Fake DNS server
//
// StartDNS serves a fixed set of records on 127.0.0.1:0 over UDP and TCP
// (same port) so tests never touch real DNS. Records are written as zone
// file lines, one resource record each:
//
//	"2.0.0.127.zen.example.test. 300 IN A 127.0.0.2"
//	"example.test. 300 IN MX 10 mx.example.test."
//	"example.test. 300 IN TXT \"v=spf1 -all\""
//
// Names are matched case-insensitively. A name with no record at all gets
// NXDOMAIN; a name with records of other types gets NOERROR with an empty
// answer (NODATA). Names given to Silence are never answered, so a client
// sees a timeout.

// DNS is a running fake DNS server.
type DNS struct {
	Addr string // host:port, the same for UDP and TCP

	mu      sync.Mutex
	rrs     map[string][]dns.RR // by lower-case FQDN
	silent  map[string]bool
	queries int
}

// NewDNS starts a fake DNS server with records and returns its address.
// It stops when the test ends.
func NewDNS(t testing.TB, records []string) string {
	t.Helper()
	return StartDNS(t, records).Addr
}

// StartDNS is NewDNS returning the server, for tests that add records,
// silence names or count queries.
func StartDNS(t testing.TB, records []string) *DNS {
	t.Helper()
	d := &DNS{rrs: map[string][]dns.RR{}, silent: map[string]bool{}}
	for _, r := range records {
		if err := d.Add(r); err != nil {
			t.Fatalf("fake DNS: %v", err)
		}
	}
	pc, ln, err := listenUDPTCP()
	if err != nil {
		t.Fatalf("fake DNS: %v", err)
	}
	d.Addr = pc.LocalAddr().String()
	// Shutdown before a server has started fails and leaves it serving
	// (and the cleanup below waiting) for ever: StartDNS returns once
	// both have started
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	udp := &dns.Server{PacketConn: pc, Handler: d, NotifyStartedFunc: notify}
	tcp := &dns.Server{Listener: ln, Handler: d, NotifyStartedFunc: notify}
	var wg sync.WaitGroup
	wg.Add(2)
	done := make(chan error, 2)
	go func() { defer wg.Done(); done <- udp.ActivateAndServe() }()
	go func() { defer wg.Done(); done <- tcp.ActivateAndServe() }()
	for range 2 {
		select {
		case <-started:
		case err := <-done:
			t.Fatalf("fake DNS: %v", err)
		}
	}
	t.Cleanup(func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
		wg.Wait()
	})
	return d
}

// Add adds one record in zone file syntax.
func (d *DNS) Add(record string) error {
	rr, err := dns.NewRR(record)
	if err != nil {
		return err
	}
	if rr == nil {
		return nil // blank or comment line
	}
	name := strings.ToLower(rr.Header().Name)
	d.mu.Lock()
	d.rrs[name] = append(d.rrs[name], rr)
	d.mu.Unlock()
	return nil
}

// Silence makes the server drop every query for name (a timeout).
func (d *DNS) Silence(name string) {
	d.mu.Lock()
	d.silent[strings.ToLower(dns.Fqdn(name))] = true
	d.mu.Unlock()
}

// Queries returns how many queries were received (answered or not).
func (d *DNS) Queries() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queries
}

// ServeDNS implements dns.Handler.
func (d *DNS) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	d.mu.Lock()
	d.queries++
	d.mu.Unlock()
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	d.mu.Lock()
	silent := d.silent[name]
	rrs, found := d.rrs[name]
	var ans []dns.RR
	for _, rr := range rrs {
		if q.Qtype == dns.TypeANY || rr.Header().Rrtype == q.Qtype {
			ans = append(ans, dns.Copy(rr))
		}
	}
	d.mu.Unlock()
	if silent {
		return
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if !found {
		m.Rcode = dns.RcodeNameError
	}
	m.Answer = ans
	_ = w.WriteMsg(m)
}

// listenUDPTCP opens UDP and TCP on the same free 127.0.0.1 port. The
// kernel picks the UDP port; that port may be taken for TCP by someone
// else, so a few ports are tried.
func listenUDPTCP() (net.PacketConn, net.Listener, error) {
	var last error
	for i := 0; i < 20; i++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		last = err
	}
	return nil, nil, fmt.Errorf("no port free for both UDP and TCP: %w", last)
}
