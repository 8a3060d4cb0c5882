package dnsbl

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

// TestRecords: record look-ups answer, cache, and report "not found" and
// timeouts as the *net.DNSError the SPF and DKIM libraries inspect.
func TestRecords(t *testing.T) {
	d := smtptest.StartDNS(t, []string{
		"sender.example.test. 300 IN A 192.0.2.10",
		`sender.example.test. 300 IN TXT "v=spf1 " "-all"`,
		"sender.example.test. 300 IN MX 10 mx.sender.example.test.",
		"sender.example.test. 300 IN NS ns1.sender.example.test.",
	})
	d.Silence("slow.example.test")
	r := New([]string{d.Addr}, 200*time.Millisecond)
	ctx := context.Background()
	if a, err := r.LookupA(ctx, "Sender.Example.Test."); err != nil || len(a) != 1 || a[0].String() != "192.0.2.10" {
		t.Errorf("LookupA: %v %v", a, err)
	}
	if txt, err := r.LookupTXT(ctx, "sender.example.test"); err != nil || !slices.Equal(txt, []string{"v=spf1 -all"}) {
		t.Errorf("LookupTXT: %q %v", txt, err)
	}
	if mx, err := r.LookupMX(ctx, "sender.example.test"); err != nil || len(mx) != 1 || mx[0].Host != "mx.sender.example.test." {
		t.Errorf("LookupMX: %v %v", mx, err)
	}
	if ns, err := r.LookupNS(ctx, "sender.example.test"); err != nil || len(ns) != 1 {
		t.Errorf("LookupNS: %v %v", ns, err)
	}
	var de *net.DNSError
	if _, err := r.LookupA(ctx, "nxdomain.example.test"); !errors.As(err, &de) || !de.IsNotFound {
		t.Errorf("NXDOMAIN: %v, want IsNotFound", err)
	}
	if _, err := r.LookupAAAA(ctx, "sender.example.test"); !errors.As(err, &de) || !de.IsNotFound {
		t.Errorf("NODATA: %v, want IsNotFound", err)
	}
	if _, err := r.LookupTXT(ctx, "slow.example.test"); !errors.As(err, &de) || !de.Temporary() {
		t.Errorf("timeout: %v, want a temporary *net.DNSError", err)
	}
	before := d.Queries()
	r.LookupTXT(ctx, "sender.example.test")
	r.LookupA(ctx, "nxdomain.example.test")
	if q := d.Queries(); q != before {
		t.Errorf("%d queries for cached answers, want 0", q-before)
	}
}
