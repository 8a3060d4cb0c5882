package sarules

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"mailwall/internal/dnsbl"
	"mailwall/internal/smtptest"
)

var (
	stockOnce sync.Once
	stockRS   *Ruleset
)

// stockNet loads the stock rules once for the network tests (the ruleset
// is read-only, so tests share it).
func stockNet(t *testing.T) *Ruleset {
	t.Helper()
	stockOnce.Do(func() { stockRS = loadStock(t) })
	if stockRS == nil {
		t.Skip("stock rules not loaded")
	}
	return stockRS
}

// netMsg is a message relayed to us by 203.0.113.7 (an untrusted public
// address), with a URI in the body, CRLF line ends as from SMTP.
func netMsg(relayIP, uri string) []byte {
	s := "Received: from mail.sender.example (mail.sender.example [" + relayIP + "])\n" +
		"\tby mx.example.org (Postfix) with ESMTP id 4AB12C3D4E\n" +
		"\tfor <user@example.org>; Mon, 1 Jan 2024 10:00:00 +0000\n" +
		"From: Alice <alice@sender.example>\n" +
		"To: user@example.org\n" +
		"Subject: quarterly report\n" +
		"Date: Mon, 1 Jan 2024 09:59:58 +0000\n" +
		"Message-ID: <20240101095958.1@sender.example>\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=us-ascii\n" +
		"\n" +
		"Hello,\n\nthe report is at " + uri + " as promised.\n\nAlice\n"
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

func netCheck(t *testing.T, rs *Ruleset, raw []byte, o CheckOptions) []string {
	t.Helper()
	res := rs.Check(context.Background(), NewMessage(raw), o)
	return append(res.Tests(), res.SubHits...)
}

func wantHits(t *testing.T, got []string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s did not hit; hits: %v", w, got)
		}
	}
	for _, w := range notWant {
		if slices.Contains(got, w) {
			t.Errorf("%s hit; hits: %v", w, got)
		}
	}
}

// TestRBLStockRules: a relay listed in zen fires RCVD_IN_SBL and
// RCVD_IN_XBL; the Spamhaus error answer 127.255.255.254 fires only the
// informational RCVD_IN_ZEN_BLOCKED_OPENDNS, never a listing rule.
func TestRBLStockRules(t *testing.T) {
	rs := stockNet(t)
	d := smtptest.StartDNS(t, []string{
		"7.113.0.203.zen.spamhaus.org. 300 IN A 127.0.0.2",
		"7.113.0.203.zen.spamhaus.org. 300 IN A 127.0.0.4",
		"8.113.0.203.zen.spamhaus.org. 300 IN A 127.255.255.254",
		"8.113.0.203.bl.mailspike.net. 300 IN A 127.255.255.255",
	})
	o := CheckOptions{DNS: dnsbl.New([]string{d.Addr}, time.Second), DNSTimeout: 5 * time.Second}
	got := netCheck(t, rs, netMsg("203.0.113.7", "http://www.example.com/"), o)
	wantHits(t, got, []string{"RCVD_IN_SBL", "RCVD_IN_XBL"}, []string{"RCVD_IN_PBL", "RCVD_IN_ZEN_BLOCKED_OPENDNS"})

	got = netCheck(t, rs, netMsg("203.0.113.8", "http://www.example.com/"), o)
	wantHits(t, got, []string{"RCVD_IN_ZEN_BLOCKED_OPENDNS"},
		[]string{"RCVD_IN_SBL", "RCVD_IN_XBL", "RCVD_IN_PBL", "RCVD_IN_SBL_CSS", "__RCVD_IN_ZEN", "RCVD_IN_MSPIKE_BL", "__RCVD_IN_MSPIKE_B"})
}

// TestURIBLStockRules: a body URI whose registrable domain is listed
// fires URIBL_BLACK and URIBL_DBL_SPAM; an error answer fires nothing but
// the *_BLOCKED rule that asks for it.
func TestURIBLStockRules(t *testing.T) {
	rs := stockNet(t)
	d := smtptest.StartDNS(t, []string{
		"spammy-site.co.uk.multi.uribl.com. 300 IN A 127.0.0.2",
		"spammy-site.co.uk.dbl.spamhaus.org. 300 IN A 127.0.1.2",
		"blocked.example.multi.uribl.com. 300 IN A 127.0.0.1",
		"blocked.example.dbl.spamhaus.org. 300 IN A 127.255.255.254",
		"9.100.51.198.multi.surbl.org. 300 IN A 127.0.0.16",
	})
	o := CheckOptions{DNS: dnsbl.New([]string{d.Addr}, time.Second), DNSTimeout: 5 * time.Second}
	got := netCheck(t, rs, netMsg("203.0.113.9", "http://www.Spammy-Site.co.uk/offer?id=1"), o)
	wantHits(t, got, []string{"URIBL_BLACK", "URIBL_DBL_SPAM"}, []string{"URIBL_GREY", "URIBL_BLOCKED"})

	got = netCheck(t, rs, netMsg("203.0.113.9", "http://shop.blocked.example/"), o)
	wantHits(t, got, []string{"URIBL_BLOCKED", "URIBL_DBL_BLOCKED_OPENDNS"},
		[]string{"URIBL_BLACK", "URIBL_GREY", "URIBL_RED", "URIBL_DBL_SPAM", "URIBL_DBL_PHISH"})

	got = netCheck(t, rs, netMsg("203.0.113.9", "http://198.51.100.9/x"), o)
	wantHits(t, got, []string{"URIBL_MW_SURBL"}, nil)
}

// signedMsg signs netMsg for sender.example and returns the DNS records
// publishing the key.
func signedMsg(t *testing.T, relayIP string) ([]byte, []string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var signed bytes.Buffer
	err = dkim.Sign(&signed, bytes.NewReader(netMsg(relayIP, "http://www.example.com/")), &dkim.SignOptions{
		Domain: "sender.example", Selector: "sel", Signer: key,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"},
	})
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	txt := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	var parts []string
	for len(txt) > 200 { // a TXT character-string holds 255 octets
		parts, txt = append(parts, `"`+txt[:200]+`"`), txt[200:]
	}
	parts = append(parts, `"`+txt+`"`)
	return signed.Bytes(), []string{"sel._domainkey.sender.example. 300 IN TXT " + strings.Join(parts, " ")}
}

// TestDKIMSPFDMARC: a valid signature fires DKIM_SIGNED, DKIM_VALID and
// DKIM_VALID_AU; SPF pass/fail follow the sender's record and the
// envelope; DMARC passes on the aligned signature and says reject when
// nothing aligns.
func TestDKIMSPFDMARC(t *testing.T) {
	rs := stockNet(t)
	raw, keyRRs := signedMsg(t, "203.0.113.7")
	d := smtptest.StartDNS(t, append(keyRRs,
		`sender.example. 300 IN TXT "v=spf1 ip4:203.0.113.0/24 -all"`,
		`mail.sender.example. 300 IN TXT "v=spf1 ip4:203.0.113.7 ~all"`,
		`_dmarc.sender.example. 300 IN TXT "v=DMARC1; p=reject"`,
	))
	hook := dnsbl.New([]string{d.Addr}, time.Second)
	env := &Envelope{IP: netip.MustParseAddr("203.0.113.7"), Helo: "mail.sender.example", MailFrom: "alice@sender.example"}
	got := netCheck(t, rs, raw, CheckOptions{DNS: hook, DNSTimeout: 5 * time.Second, Envelope: env})
	wantHits(t, got, []string{"DKIM_SIGNED", "DKIM_VALID", "DKIM_VALID_AU", "DKIM_VALID_EF", "SPF_PASS", "SPF_HELO_PASS", "DMARC_PASS"},
		[]string{"DKIM_INVALID", "SPF_FAIL", "DMARC_REJECT"})

	// Body changed after signing: the signature breaks; the client is
	// not in the SPF record; nothing aligns, so DMARC says reject.
	broken := bytes.Replace(raw, []byte("as promised"), []byte("as PROMISED"), 1)
	env2 := &Envelope{IP: netip.MustParseAddr("198.51.100.20"), Helo: "mail.sender.example", MailFrom: "alice@sender.example"}
	got = netCheck(t, rs, broken, CheckOptions{DNS: hook, DNSTimeout: 5 * time.Second, Envelope: env2})
	wantHits(t, got, []string{"DKIM_SIGNED", "DKIM_INVALID", "SPF_FAIL", "SPF_HELO_SOFTFAIL", "DMARC_REJECT"},
		[]string{"DKIM_VALID", "DKIM_VALID_AU", "SPF_PASS", "DMARC_PASS"})

	// No envelope: SPF takes the first untrusted relay and the headers.
	got = netCheck(t, rs, raw, CheckOptions{DNS: hook, DNSTimeout: 5 * time.Second})
	wantHits(t, got, []string{"SPF_HELO_PASS", "DKIM_VALID"}, []string{"SPF_FAIL"})
}

// TestLocalTurnsNetOff: -L (Local) runs no network rule and asks no DNS.
func TestLocalTurnsNetOff(t *testing.T) {
	rs := stockNet(t)
	raw, keyRRs := signedMsg(t, "203.0.113.7")
	d := smtptest.StartDNS(t, append(keyRRs,
		"7.113.0.203.zen.spamhaus.org. 300 IN A 127.0.0.2",
		`sender.example. 300 IN TXT "v=spf1 ip4:203.0.113.0/24 -all"`,
	))
	env := &Envelope{IP: netip.MustParseAddr("203.0.113.7"), Helo: "mail.sender.example", MailFrom: "alice@sender.example"}
	got := netCheck(t, rs, raw, CheckOptions{Local: true, DNS: dnsbl.New([]string{d.Addr}, time.Second), Envelope: env})
	for _, h := range got {
		if r := rs.Rule(h); r != nil && r.Net {
			t.Errorf("network rule %s hit with Local", h)
		}
	}
	wantHits(t, got, nil, []string{"RCVD_IN_SBL", "DKIM_SIGNED", "DKIM_VALID", "SPF_PASS"})
	if q := d.Queries(); q != 0 {
		t.Errorf("%d DNS queries with Local, want 0", q)
	}
}

// TestNetDeadline: a DNS server that never answers costs the deadline,
// not a hang, and no network rule hits.
func TestNetDeadline(t *testing.T) {
	rs := stockNet(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // never read: every query times out
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	raw, _ := signedMsg(t, "203.0.113.7")
	env := &Envelope{IP: netip.MustParseAddr("203.0.113.7"), Helo: "mail.sender.example", MailFrom: "alice@sender.example"}
	hook := dnsbl.New([]string{pc.LocalAddr().String()}, time.Hour)
	got := netCheck(t, rs, raw, CheckOptions{DNS: hook, DNSTimeout: 200 * time.Millisecond, Envelope: env})
	wantHits(t, got, nil, []string{"RCVD_IN_SBL", "DKIM_VALID", "SPF_PASS", "SPF_FAIL", "DMARC_MISSING", "__DKIM_DEPENDABLE"})
}

func TestSubtestMatch(t *testing.T) {
	tests := []struct {
		sub, ans string
		isA      bool
		want     bool
	}{
		{"127.0.0.2", "127.0.0.2", true, true},
		{"127.0.0.2", "127.0.0.3", true, false},
		{"127.0.0.0/24", "127.0.0.9", true, true},
		{"127.0.0.0/24", "127.0.1.9", true, false},
		{"127.0.1.0/255.255.255.0", "127.0.1.9", true, true},
		{"2", "127.0.0.2", true, true},
		{"2", "127.0.0.4", true, false},
		{"2", "127.255.255.254", true, false}, // error answer, not a listing
		{"0x10", "127.0.0.16", true, true},
		{"2", "10.0.0.2", true, false}, // outside 127/8
		{`^127\.0\.0\.[4567]$`, "127.0.0.5", true, true},
		{`(?i:spamcop)`, "Blocked - see https://www.SpamCop.net/bl.shtml", false, true},
	}
	for _, tt := range tests {
		if got := parseSubtest(tt.sub).match(tt.ans, tt.isA, false); got != tt.want {
			t.Errorf("subtest %q on %q = %v, want %v", tt.sub, tt.ans, got, tt.want)
		}
	}
	var any *subtest
	for ans, want := range map[string]bool{"127.0.0.2": true, "127.255.255.254": false, "192.0.2.1": false} {
		if got := any.match(ans, true, false); got != want {
			t.Errorf("any on %s = %v, want %v", ans, got, want)
		}
	}
	if any.match("127.0.0.1", true, true) {
		t.Errorf("127.0.0.1 from a name list counted as listed")
	}
}

func TestURIDomain(t *testing.T) {
	rs, _ := LoadText("util_rb_2tld example.test\nutil_rb_tld zz\n")
	for host, want := range map[string]string{
		"www.spam.co.uk":       "spam.co.uk",
		"a.b.spam.example.com": "example.com",
		"x.y.example.test":     "y.example.test",
		"deep.host.domain.zz":  "domain.zz",
		"example.com":          "example.com",
	} {
		if got := rs.uriDomain(host); got != want {
			t.Errorf("uriDomain(%s) = %s, want %s", host, got, want)
		}
	}
	for u, want := range map[string]string{
		"http://user@WWW.Example.COM:8080/x?y": "www.example.com",
		"mailto:a@example.com":                 "",
		"https://198.51.100.9/":                "198.51.100.9",
		"http://localhost/":                    "",
	} {
		if got := uriHostOf(u); got != want {
			t.Errorf("uriHostOf(%s) = %q, want %q", u, got, want)
		}
	}
}
