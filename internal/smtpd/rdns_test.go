package smtpd

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"mailwall/internal/smtptest"
)

func TestConfirmedName(t *testing.T) {
	dns := smtptest.NewDNS(t, []string{
		"9.2.0.192.in-addr.arpa. 60 IN PTR mail.client.test.",
		"mail.client.test. 60 IN A 192.0.2.9",
		"8.2.0.192.in-addr.arpa. 60 IN PTR forged.test.",
		"forged.test. 60 IN A 198.51.100.1",
	})
	r := NewResolver([]string{dns})
	tests := map[string]string{
		"192.0.2.9": "mail.client.test", // PTR and A agree
		"192.0.2.8": "",                 // PTR not confirmed by A
		"192.0.2.7": "",                 // no PTR
	}
	for ip, want := range tests {
		if got := confirmedName(context.Background(), r, netip.MustParseAddr(ip), 5*time.Second); got != want {
			t.Errorf("confirmedName(%s) = %q, want %q", ip, got, want)
		}
	}
	if got := confirmedName(context.Background(), nil, netip.MustParseAddr("192.0.2.9"), time.Second); got != "" {
		t.Errorf("nil resolver gave %q", got)
	}
}
