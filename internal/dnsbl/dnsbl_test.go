package dnsbl

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

func TestReverseName(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"192.0.2.99", "99.2.0.192.zen.example.test."},
		{"::ffff:192.0.2.1", "1.2.0.192.zen.example.test."},
		{"2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.example.test."},
	}
	for _, tt := range tests {
		if got := ReverseName(netip.MustParseAddr(tt.ip), "Zen.Example.Test"); got != tt.want {
			t.Errorf("ReverseName(%s) = %s, want %s", tt.ip, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	d := smtptest.StartDNS(t, []string{
		"2.0.0.127.zen.example.test. 300 IN A 127.0.0.2",
		"2.0.0.127.zen.example.test. 300 IN TXT \"https://example.test/sbl\"",
		"10.2.0.192.zen.example.test. 300 IN A 127.0.0.10",
		"10.2.0.192.zen.example.test. 300 IN A 127.0.0.4",
		"1.2.0.192.zen.example.test. 300 IN A 127.255.255.254",
		"2.2.0.192.zen.example.test. 300 IN A 192.0.2.2",
		"3.2.0.192.zen.example.test. 300 IN A 127.255.255.255",
		"spammer.example.dbl.example.test. 300 IN A 127.0.1.2",
		"refused.example.dbl.example.test. 300 IN A 127.0.0.1",
	})
	d.Silence("4.2.0.192.slow.example.test")
	r := New([]string{d.Addr}, 300*time.Millisecond)
	ctx := context.Background()
	tests := []struct {
		ip, zone string
		listed   bool
		codes    int
		badAns   bool
		anyErr   bool
	}{
		{"127.0.0.2", "zen.example.test", true, 1, false, false},
		{"192.0.2.10", "zen.example.test", true, 2, false, false},
		{"192.0.2.99", "zen.example.test", false, 0, false, false},
		{"192.0.2.1", "zen.example.test", false, 0, true, true},
		{"192.0.2.2", "zen.example.test", false, 0, true, true},
		{"192.0.2.3", "zen.example.test", false, 0, true, true},
		{"192.0.2.4", "slow.example.test", false, 0, false, true},
	}
	for _, tt := range tests {
		res, err := r.Lookup(ctx, netip.MustParseAddr(tt.ip), tt.zone)
		if (err != nil) != tt.anyErr || errors.Is(err, ErrBadAnswer) != tt.badAns {
			t.Errorf("%s in %s: err %v, want err=%v bad=%v", tt.ip, tt.zone, err, tt.anyErr, tt.badAns)
		}
		if res.Listed != tt.listed || len(res.Codes) != tt.codes {
			t.Errorf("%s in %s: listed %v codes %v, want %v %d", tt.ip, tt.zone, res.Listed, res.Codes, tt.listed, tt.codes)
		}
	}
	res, err := r.Lookup(ctx, netip.MustParseAddr("127.0.0.2"), "zen.example.test")
	if err != nil || res.Text != "https://example.test/sbl" || !res.Has(netip.MustParseAddr("127.0.0.2")) {
		t.Errorf("TXT: %+v %v", res, err)
	}

	res, err = r.LookupName(ctx, "Spammer.Example.", "dbl.example.test")
	if err != nil || !res.Listed {
		t.Errorf("LookupName spammer: %+v %v", res, err)
	}
	if _, err = r.LookupName(ctx, "refused.example", "dbl.example.test"); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("LookupName refused: err %v, want ErrBadAnswer", err)
	}
	if _, err = r.LookupName(ctx, "bad name", "dbl.example.test"); err == nil {
		t.Errorf("LookupName with space: no error")
	}
}

func TestLookupCache(t *testing.T) {
	d := smtptest.StartDNS(t, []string{"2.0.0.127.zen.example.test. 300 IN A 127.0.0.2"})
	r := New([]string{d.Addr}, time.Second)
	ip := netip.MustParseAddr("127.0.0.2")
	for range 3 {
		if res, err := r.Lookup(context.Background(), ip, "zen.example.test"); err != nil || !res.Listed {
			t.Fatalf("lookup: %+v %v", res, err)
		}
	}
	for range 3 {
		if _, err := r.Lookup(context.Background(), netip.MustParseAddr("192.0.2.9"), "zen.example.test"); err != nil {
			t.Fatal(err)
		}
	}
	// One A + one TXT for the listing, one A for the NXDOMAIN; the rest cached.
	if q := d.Queries(); q != 3 {
		t.Errorf("queries = %d, want 3 (cache)", q)
	}
}

func TestLookupZonesParallel(t *testing.T) {
	d := smtptest.StartDNS(t, []string{
		"2.0.0.127.a.example.test. 300 IN A 127.0.0.2",
		"2.0.0.127.c.example.test. 300 IN A 127.0.0.3",
	})
	d.Silence("2.0.0.127.b.example.test")
	r := New([]string{d.Addr}, 200*time.Millisecond)
	res, errs := r.LookupZones(context.Background(), netip.MustParseAddr("127.0.0.2"),
		[]string{"a.example.test", "b.example.test", "c.example.test"})
	if !res[0].Listed || errs[0] != nil || res[1].Listed || errs[1] == nil || !res[2].Listed || errs[2] != nil {
		t.Errorf("LookupZones: %+v %v", res, errs)
	}
}

func TestNoServers(t *testing.T) {
	r := &Resolver{timeout: time.Second, cache: newCache[Result](10)}
	if _, err := r.Lookup(context.Background(), netip.MustParseAddr("192.0.2.1"), "z.test"); !errors.Is(err, ErrNoServers) {
		t.Errorf("err = %v, want ErrNoServers", err)
	}
}

func TestCacheBounded(t *testing.T) {
	c := newCache[Result](10)
	exp := time.Now().Add(time.Hour)
	for i := range 100 {
		c.put(string(rune('a'+i)), Result{}, nil, exp)
	}
	if len(c.m) > 10 {
		t.Errorf("cache holds %d entries, max 10", len(c.m))
	}
}

// TestLookupConcurrent: a burst of look-ups for one address makes one
// query, not one per caller.
func TestLookupConcurrent(t *testing.T) {
	d := smtptest.StartDNS(t, []string{"9.2.0.192.zen.example.test. 300 IN A 127.0.0.2"})
	r := New([]string{d.Addr}, time.Second)
	done := make(chan Result, 20)
	for range 20 {
		go func() {
			res, _ := r.Lookup(context.Background(), netip.MustParseAddr("192.0.2.9"), "zen.example.test")
			done <- res
		}()
	}
	for range 20 {
		if res := <-done; !res.Listed {
			t.Errorf("not listed: %+v", res)
		}
	}
	if q := d.Queries(); q != 2 { // one A and one TXT; the cache is filled before the flight ends
		t.Errorf("%d queries for 20 concurrent look-ups, want 2", q)
	}
}
