package smtptest

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestFakeDNS(t *testing.T) {
	d := StartDNS(t, []string{
		"2.0.0.127.zen.example.test. 300 IN A 127.0.0.2",
		"2.0.0.127.zen.example.test. 300 IN TXT \"listed\"",
		"Example.Test. 60 IN MX 10 mx.example.test.",
		"slow.example.test. 60 IN A 192.0.2.1",
	})
	d.Silence("slow.example.test")
	tests := []struct {
		net, name string
		qtype     uint16
		rcode     int
		answers   int
		timeout   bool
	}{
		{"udp", "2.0.0.127.zen.example.test.", dns.TypeA, dns.RcodeSuccess, 1, false},
		{"tcp", "2.0.0.127.zen.example.test.", dns.TypeTXT, dns.RcodeSuccess, 1, false},
		{"udp", "example.test.", dns.TypeMX, dns.RcodeSuccess, 1, false},
		{"udp", "EXAMPLE.test.", dns.TypeA, dns.RcodeSuccess, 0, false},
		{"udp", "3.0.0.127.zen.example.test.", dns.TypeA, dns.RcodeNameError, 0, false},
		{"udp", "slow.example.test.", dns.TypeA, 0, 0, true},
	}
	for _, tt := range tests {
		c := &dns.Client{Net: tt.net, Timeout: 300 * time.Millisecond}
		m := new(dns.Msg)
		m.SetQuestion(tt.name, tt.qtype)
		r, _, err := c.Exchange(m, d.Addr)
		if tt.timeout {
			if err == nil {
				t.Errorf("%s %s: got answer, want timeout", tt.net, tt.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %s: %v", tt.net, tt.name, err)
		}
		if r.Rcode != tt.rcode || len(r.Answer) != tt.answers {
			t.Errorf("%s %s %s: rcode %d answers %d, want %d %d", tt.net, tt.name,
				dns.TypeToString[tt.qtype], r.Rcode, len(r.Answer), tt.rcode, tt.answers)
		}
	}
	if d.Queries() != len(tests) {
		t.Errorf("Queries() = %d, want %d", d.Queries(), len(tests))
	}
}

// TestDNSStopsRightAfterStart: a server stopped as soon as it is started
// (a test that sends no query) stops; before StartDNS waited for the
// servers to start, such a cleanup could wait for ever.
func TestDNSStopsRightAfterStart(t *testing.T) {
	for i := 0; i < 200; i++ {
		t.Run("", func(t *testing.T) { StartDNS(t, nil) })
	}
}
