package policy

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"mailwall/internal/dnsbl"
	"mailwall/internal/smtptest"
)

func TestConnectDNSBL(t *testing.T) {
	d := smtptest.StartDNS(t, []string{
		"7.100.51.198.zen.example.test. 300 IN A 127.0.0.2",
		"8.100.51.198.zen.example.test. 300 IN A 127.0.0.10",
		"9.100.51.198.zen.example.test. 300 IN A 127.255.255.254",
		"10.100.51.198.other.example.test. 300 IN A 127.0.0.2",
	})
	d.Silence("11.100.51.198.zen.example.test")
	res := dnsbl.New([]string{d.Addr}, 200*time.Millisecond)
	cfg := Config{
		TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("198.51.100.12/32")},
		DNSBL: []DNSBLZone{
			{Zone: "zen.example.test", Codes: map[netip.Addr]string{
				netip.MustParseAddr("127.0.0.2"): "SBL", netip.MustParseAddr("127.0.0.4"): "XBL"}},
			{Zone: "other.example.test", Reply: "Blocked by {zone} ({code}) see https://example.test/?ip={ip}"},
		},
	}
	e, err := New(cfg, slog.New(slog.DiscardHandler), res)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tests := []struct{ ip, want string }{
		{"198.51.100.7", "554 5.7.1 Service unavailable; client [198.51.100.7] blocked using zen.example.test"},
		{"198.51.100.8", ""}, // 127.0.0.10 not in the zone's codes
		{"198.51.100.9", ""}, // error answer, not a listing
		{"198.51.100.10", "554 5.7.1 Blocked by other.example.test (127.0.0.2) see https://example.test/?ip=198.51.100.10"},
		{"198.51.100.11", ""}, // timeout fails open
		{"198.51.100.12", ""}, // trusted: not looked up
		{"10.0.0.1", ""},      // private: not looked up
	}
	for _, tt := range tests {
		d := e.Connect(context.Background(), conn(tt.ip))
		if got := d.Text(false); got != tt.want {
			t.Errorf("connect %s: %q, want %q", tt.ip, got, tt.want)
		}
	}
	if _, err := New(cfg, nil, nil); err == nil {
		t.Errorf("zones without resolver: no error")
	}
}

func TestBlockAndAllowLists(t *testing.T) {
	e, _, _ := newEngine(t, Config{
		Block: BlockLists{
			ClientIPs:     []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")},
			ClientIPReply: "Your network is blocked",
			Senders:       []string{"Bad@Example.Net"}, SenderReply: "You are blocked",
			SenderDomains: []string{"spam.test"},
			SenderLocals:  []string{"promo"}, SenderLocalReply: "No promotions",
		},
		Allow: AllowLists{
			ClientIPs:     []netip.Prefix{netip.MustParsePrefix("203.0.113.5/32")},
			SenderDomains: []string{"partner.spam.test"},
		},
	})
	ctx := context.Background()
	if d := e.Connect(ctx, conn("203.0.113.9")); d.Text(false) != "554 5.7.1 Your network is blocked" {
		t.Errorf("blocked IP: %q", d.Text(false))
	}
	if d := e.Connect(ctx, conn("203.0.113.5")); d.Action != OK {
		t.Errorf("allowed IP: %v", d.Action)
	}
	tests := []struct{ ip, from, want string }{
		{"198.51.100.1", "bad@example.net", "550 5.7.1 You are blocked"},
		{"198.51.100.1", "x@mail.spam.test", "550 5.7.1 Sender address rejected: Access denied"},
		{"198.51.100.1", "promo@anything.test", "550 5.7.1 No promotions"},
		{"198.51.100.1", "x@partner.spam.test", ""},
		{"203.0.113.5", "promo@anything.test", ""},
		{"198.51.100.1", "good@example.net", ""},
	}
	for _, tt := range tests {
		if d := e.Mail(ctx, conn(tt.ip), addr(t, tt.from)); d.Text(false) != tt.want {
			t.Errorf("%s MAIL <%s>: %q, want %q", tt.ip, tt.from, d.Text(false), tt.want)
		}
	}
}

func TestConnRate(t *testing.T) {
	e, logs, now := newEngine(t, Config{ConnRate: Rate{N: 3, Per: time.Minute}})
	for i, want := range []Action{Continue, Continue, Continue, TempFail} {
		if d := e.Connect(context.Background(), conn("198.51.100.1")); d.Action != want {
			t.Errorf("connection %d: %v, want %v", i+1, d.Action, want)
		}
	}
	if d := e.Connect(context.Background(), conn("198.51.100.2")); d.Action != Continue {
		t.Errorf("other IP: %v", d.Action)
	}
	*now = now.Add(30 * time.Second)
	if d := e.Connect(context.Background(), conn("198.51.100.1")); d.Action != Continue {
		t.Errorf("after refill: %v", d.Action)
	}
	if !strings.Contains(logs.String(), "connection rate exceeded") {
		t.Errorf("not logged")
	}
}

func TestNoteError(t *testing.T) {
	e, _, _ := newEngine(t, Config{MaxErrors: 3, MaxUnknownRcpts: 2})
	c := conn("198.51.100.1")
	got := []bool{e.NoteError(c), e.NoteError(c), e.NoteError(c)}
	if got[0] || got[1] || !got[2] {
		t.Errorf("NoteError = %v, want drop on the 3rd", got)
	}
	if e.NoteUnknownRcpt(c) || !e.NoteUnknownRcpt(c) {
		t.Errorf("NoteUnknownRcpt: want drop on the 2nd")
	}
	e.Disconnect(c)
	if e.NoteError(c) {
		t.Errorf("counters not reset by Disconnect")
	}
}

func TestDecisionText(t *testing.T) {
	d := reply(550, [3]int{5, 7, 1}, "x", "bad\r\nRSET \x00 광고", "test")
	if got := d.Text(false); got != "550 5.7.1 bad  RSET   ??" {
		t.Errorf("ASCII text: %q", got)
	}
	if got := d.Text(true); got != "550 5.7.1 bad  RSET   광고" {
		t.Errorf("UTF-8 text: %q", got)
	}
	if (Decision{}).Text(true) != "" {
		t.Errorf("no error: want empty text")
	}
}
