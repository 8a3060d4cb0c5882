package sarules

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// relaysCheck is a pms for m under the rule text cf, enough to ask the
// trust path.
func relaysCheck(t *testing.T, cf string, raw []byte, gw *Gateway) *pms {
	t.Helper()
	rs, diags := LoadText(cf)
	for _, d := range diags {
		t.Fatalf("%s: %v", cf, d)
	}
	return &pms{ctx: context.Background(), rs: rs, m: NewMessage(raw), o: CheckOptions{Local: true, Gateway: gw}}
}

func pseudo(p *pms, name string) string {
	v, _ := p.relayPseudoHeader(name)
	return v
}

// TestRelaysLikeSpamAssassin compares the X-Spam-Relays-* pseudo-headers
// with SpamAssassin 4.0.1's. testdata/relays/spamassassin.txt holds its
// "metadata:" debug lines for each case, made with
//
//	spamassassin -L -t -D metadata --cf='trusted_networks ...' < m1.eml
func TestRelaysLikeSpamAssassin(t *testing.T) {
	cases := map[string]struct{ msg, cf string }{
		"A": {"m1.eml", ""},                                                                                                        // inferred: private trusted, first public not
		"B": {"m1.eml", "trusted_networks 192.168.1.0/24 203.0.113.9"},                                                             // internal = trusted; auth= keeps the next relay trusted and internal
		"C": {"m1.eml", "trusted_networks 192.168.1.0/24 203.0.113.9\ninternal_networks 192.168.1.0/24"},                           // trusted but external
		"D": {"m1.eml", "trusted_networks 192.168.1.0/24 203.0.113.9\ninternal_networks 192.168.1.0/24\nmsa_networks 203.0.113.9"}, // MSA: everything after keeps its class
		"E": {"m1.eml", "trusted_networks 192.168."},                                                                               // after the first untrusted, auth= does not restore trust
		"F": {"m2.eml", ""},                                                                                                        // inferred: an authenticated public relay is trusted
		"G": {"m2.eml", "internal_networks 10.0.0.0/8"},                                                                            // trusted = internal
		"H": {"m1.eml", "trusted_networks !192.168.1.5 192.168.1.0/24"},                                                            // exclusion first
		"I": {"m3.eml", ""},                                                                                                        // qmail "from RDNS ([IP]) by MX with SMTP", "with asmtp" authenticates
	}
	f, err := os.Open("testdata/relays/spamassassin.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checks := map[string]*pms{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		name, line, _ := strings.Cut(sc.Text(), "\t")
		hdr, want, _ := strings.Cut(line, ": ")
		c, ok := cases[name]
		if !ok {
			t.Fatalf("no case %q", name)
		}
		p := checks[name]
		if p == nil {
			raw, err := os.ReadFile("testdata/relays/" + c.msg)
			if err != nil {
				t.Fatal(err)
			}
			p = relaysCheck(t, c.cf, raw, nil)
			checks[name] = p
		}
		if got := pseudo(p, hdr); got != want {
			t.Errorf("%s %s (%q)\n got %s\nwant %s", name, hdr, c.cf, got, want)
		}
		n++
	}
	if n != 4*len(cases) {
		t.Errorf("%d lines for %d cases", n, len(cases))
	}
}

const privateOnlyMsg = "Received: from pc (pc.lan [192.168.0.9]) by mx.sender.example (Postfix) with ESMTP id Q123; Mon, 3 Jun 2024 10:00:00 +0000\n" +
	"From: a@sender.example\nTo: u@example.org\nSubject: hi\n\nhello\n"

func TestGatewayHop(t *testing.T) {
	gw := func(ip string, nets ...string) *Gateway {
		g := &Gateway{Helo: "mx.sender.example", RDNS: "mx.sender.example.", By: "gw.example.org"}
		if ip != "" {
			g.IP = netip.MustParseAddr(ip)
		}
		for _, n := range nets {
			g.Trusted = append(g.Trusted, netip.MustParsePrefix(n))
		}
		return g
	}
	test := func(name string, raw string, g *Gateway, trusted, untrusted string, lastTrusted int) {
		t.Helper()
		p := relaysCheck(t, "", []byte(raw), g)
		ri := p.relays()
		if got := pseudo(p, "X-Spam-Relays-Trusted"); got != trusted {
			t.Errorf("%s: trusted\n got %s\nwant %s", name, got, trusted)
		}
		if got := pseudo(p, "X-Spam-Relays-Untrusted"); got != untrusted {
			t.Errorf("%s: untrusted\n got %s\nwant %s", name, got, untrusted)
		}
		if ri.lastTrustedIdx != lastTrusted {
			t.Errorf("%s: lastTrustedIdx %d, want %d", name, ri.lastTrustedIdx, lastTrusted)
		}
	}
	pc := "[ ip=192.168.0.9 rdns=pc.lan helo=pc by=mx.sender.example ident= envfrom= intl=%d id=Q123 auth= msa=0 ]"
	intl := func(i string) string { return strings.Replace(pc, "%d", i, 1) }
	hop := "[ ip=203.0.113.7 rdns=mx.sender.example helo=mx.sender.example by=gw.example.org ident= envfrom= intl=0 id= auth= msa=0 ]"

	// Without the gateway the sender's internal hop looks like ours.
	test("no gateway", privateOnlyMsg, nil, intl("1"), "", 0)
	// The hop mailwall received it over comes first and is untrusted.
	test("public client", privateOnlyMsg, gw("203.0.113.7"), "", hop+" "+intl("0"), -1)
	// mailwall's loopback-only trusted networks leave inference on.
	test("loopback nets", privateOnlyMsg, gw("203.0.113.7", "127.0.0.0/8", "::1/128"), "", hop+" "+intl("0"), -1)
	// A client in mailwall's trusted networks is trusted; configured
	// networks end inference, so the private hop after it is not.
	trustedHop := strings.Replace(hop, "intl=0", "intl=1", 1)
	test("trusted client", privateOnlyMsg, gw("203.0.113.7", "203.0.113.0/24"), trustedHop, intl("0"), -1)
	// The MTA's own header already in the message is not added twice.
	own := "Received: from mx.sender.example (mx.sender.example [203.0.113.7]) by gw.example.org (mailwall) with ESMTP id Z987; Mon, 3 Jun 2024 10:00:01 +0000\n" + privateOnlyMsg
	test("own header present", own, gw("203.0.113.7"), "",
		"[ ip=203.0.113.7 rdns=mx.sender.example helo=mx.sender.example by=gw.example.org ident= envfrom= intl=0 id=Z987 auth= msa=0 ] "+intl("0"), -1)
	// An authenticated client is trusted, as "with ESMTPA".
	g := gw("203.0.113.7")
	g.AuthUser = "alice"
	test("authenticated client", privateOnlyMsg, g, strings.Replace(trustedHop, "auth=", "auth=ESMTPA", 1)+" "+intl("1"), "", 0)
}

func TestAllTrustedFollowsGateway(t *testing.T) {
	rs, diags := LoadText("header ALL_TRUSTED eval:check_all_trusted()\nscore ALL_TRUSTED -1\n" +
		"header NO_RELAYS eval:check_no_relays()\nscore NO_RELAYS 1\n")
	for _, d := range diags {
		t.Fatal(d)
	}
	check := func(g *Gateway) string {
		res := rs.Check(context.Background(), NewMessage([]byte(privateOnlyMsg)), CheckOptions{Local: true, Gateway: g})
		return strings.Join(res.Tests(), ",")
	}
	if got := check(nil); got != "ALL_TRUSTED" {
		t.Errorf("no gateway: %s, want ALL_TRUSTED", got)
	}
	if got := check(&Gateway{IP: netip.MustParseAddr("203.0.113.7")}); got != "" {
		t.Errorf("public client: %s, want none", got)
	}
	if got := check(&Gateway{IP: netip.MustParseAddr("10.1.2.3")}); got != "ALL_TRUSTED" {
		t.Errorf("private client: %s, want ALL_TRUSTED", got)
	}
}

func TestNetSet(t *testing.T) {
	s := parseNetSet(strings.Fields("!10.0.1.5 10.0.1/24 172.16. [2001:db8::1] 2001:db8:1::/48 bogus 1.2.3.4-1.2.3.9"))
	for ip, want := range map[string]bool{
		"10.0.1.5": false, "10.0.1.6": true, "10.0.2.1": false, "172.16.200.1": true, "172.17.0.1": false,
		"2001:db8::1": true, "2001:db8::2": false, "2001:db8:1:ffff::1": true, "::ffff:10.0.1.7": true,
	} {
		if got := s.containsString(ip); got != want {
			t.Errorf("%s: %v, want %v", ip, got, want)
		}
	}
}
