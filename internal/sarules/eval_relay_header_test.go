package sarules

import (
	"context"
	"strings"
	"testing"
)

// TestNoRDNSDotcomHelo: NO_RDNS_DOTCOM_HELO hits where SpamAssassin 4.0.1
// (spamassassin -L -t) hits it: a big ISP's HELO from a public host the
// MTA looked up and found no rDNS for, on the last public untrusted relay.
func TestNoRDNSDotcomHelo(t *testing.T) {
	rs := loadStock(t)
	const tail = "From: a@sender.example\nTo: u@example.org\nSubject: hello there\n" +
		"Date: Mon, 3 Jun 2024 10:00:00 +0000\nMessage-ID: <x1@sender.example>\n\nhello, just a note.\n"
	for _, c := range []struct {
		name, rcvd string
		hit        bool
	}{
		{"postfix unknown", "from mx02.hotmail.com (unknown [203.0.113.7]) by mx.example.org (Postfix) with ESMTP id A1B2C3; Mon, 3 Jun 2024 10:00:00 +0000", true},
		{"rdns known", "from mx02.hotmail.com (host.example.net [203.0.113.7]) by mx.example.org (Postfix) with ESMTP id A1B2C3; Mon, 3 Jun 2024 10:00:00 +0000", false},
		{"qmail unknown is no look-up", "from unknown (HELO mx.hotmail.com) (203.0.113.7) by mx.example.org with SMTP; 3 Jun 2024 10:00:00 -0000", false},
		{"sendmail ident only", "from mail.aol.com (kgbxn@[203.0.113.7]) by mx.example.org (8.11.6/8.11.6) with SMTP id h8BBsUJ18848; Mon, 3 Jun 2024 10:00:00 +0100", true},
		{"sendmail no rdns", "from smtp044.mail.yahoo.com ([218.244.193.142]) by sun20.hepi.edu.ge (8.7.5/8.7.3) with SMTP id UAA22974 for <u@example.org>; Mon, 26 Aug 2002 20:29:07 -0400 (GMT)", true},
		{"exim no rdns is no look-up", "from mail.yahoo.com ([203.0.113.7] helo=mail.yahoo.com) by mx.example.org with smtp (Exim 3.35 #1) id 190K1R-0000me-00; Tue, 01 Apr 2003 12:33:46 +0100", false},
		{"private", "from mx02.hotmail.com (unknown [10.1.2.3]) by mx.example.org (Postfix) with ESMTP id A1B2C3; Mon, 3 Jun 2024 10:00:00 +0000", false},
		{"older relay decides, hit", "from relay.example.net (relay.example.net [198.51.100.2]) by mx.example.org (Postfix) with ESMTP id A1B2C4; Mon, 3 Jun 2024 10:00:01 +0000\n" +
			"Received: from yahoo.com (unknown[203.0.113.7]) by relay.example.net (Postfix) with SMTP id 9029AFB732; Mon, 3 Jun 2024 10:00:00 +0000", true},
		{"older relay decides, none", "from smtp.yahoo.com (unknown[203.0.113.7]) by relay.example.net (Postfix) with SMTP id 9029AFB732; Mon, 3 Jun 2024 10:00:00 +0000\n" +
			"Received: from relay.example.net (relay.example.net [198.51.100.2]) by mx0.example.net (Postfix) with ESMTP id A1B2C4; Mon, 3 Jun 2024 09:59:01 +0000", false},
	} {
		res := rs.Check(t.Context(), NewMessage([]byte("Received: "+c.rcvd+"\n"+tail)), CheckOptions{Local: true})
		got := strings.Contains(","+strings.Join(res.Tests(), ",")+",", ",NO_RDNS_DOTCOM_HELO,")
		if got != c.hit {
			t.Errorf("%s: NO_RDNS_DOTCOM_HELO %v, want %v (tests %v)", c.name, got, c.hit, res.Tests())
		}
	}
}

// TestSubjectAllCaps: SUBJ_ALL_CAPS as SpamAssassin 4.0.1 answers these
// subjects (spamassassin -L -t).
func TestSubjectAllCaps(t *testing.T) {
	rs := loadStock(t)
	for subj, hit := range map[string]bool{
		"RE: FREE MONEY NOW":          true,
		"FREEMONEYNOWNOW":             false, // one word
		"BUY NOW":                     false, // short
		"FREE MONEY 4 U!!":            true,
		"=?koi8-r?Q?FREE_MONEY_NOW?=": false, // a charset that reads as capitals
		"Free MONEY NOW":              false,
		"Fwd: Re: CHEAP VIAGRA PILLS": true,
	} {
		msg := "From: a@sender.example\nTo: u@example.org\nSubject: " + subj +
			"\nDate: Mon, 3 Jun 2024 10:00:00 +0000\nMessage-ID: <x1@sender.example>\n\nhello, just a note.\n"
		res := rs.Check(t.Context(), NewMessage([]byte(msg)), CheckOptions{Local: true})
		if got := strings.Contains(","+strings.Join(res.Tests(), ",")+",", ",SUBJ_ALL_CAPS,"); got != hit {
			t.Errorf("%q: SUBJ_ALL_CAPS %v, want %v", subj, got, hit)
		}
	}
}

// TestFromInList: enlist_addrlist and check_from_in_list as SpamAssassin
// 4.0.1 answers (FROM_SUSPICIOUS_NTLD with the stock SUSP_NTLD list):
// every From-like header counts, Resent-From first.
func TestFromInList(t *testing.T) {
	rs := loadStock(t)
	for hdr, hit := range map[string]bool{
		"From: a@shop.icu\n":                                  true,
		"From: a@example.com\n":                               false,
		"From: a@example.com\nResent-From: c@z.online\n":      true,
		"From: a@example.com\nX-Envelope-From: d@mail.work\n": true,
	} {
		msg := hdr + "To: u@example.org\nSubject: hello there\nDate: Mon, 3 Jun 2024 10:00:00 +0000\nMessage-ID: <x1@sender.example>\n\nhello, just a note.\n"
		res := rs.Check(t.Context(), NewMessage([]byte(msg)), CheckOptions{Local: true})
		if got := strings.Contains(","+strings.Join(res.Tests(), ",")+",", ",FROM_SUSPICIOUS_NTLD,"); got != hit {
			t.Errorf("%q: FROM_SUSPICIOUS_NTLD %v, want %v", hdr, got, hit)
		}
	}
	if _, diags := LoadText("enlist_addrlist NOPAREN a@b.c\n"); len(diags) == 0 {
		t.Error("enlist_addrlist without (LIST) gives no error")
	}
}

// TestNoRDNSFromUnknown: "from unknown (HELO x) (IP)" is a relay without
// rDNS (the MTA looked it up) unless it is qmail-smtpd's own form (with
// SMTP or QMQP), which says "unknown" when it was given none; so a big
// ISP's HELO hits NO_RDNS_DOTCOM_HELO in the first case only, as with
// spamassassin 4.0.1.
func TestNoRDNSFromUnknown(t *testing.T) {
	rs, _ := LoadText("header NO_RDNS_DOTCOM_HELO eval:check_for_no_rdns_dotcom_helo()\nscore NO_RDNS_DOTCOM_HELO 1\n")
	for proto, want := range map[string]bool{"asmtp": true, "SMTP": false} {
		msg := "Received: from mx.example.test (mx.example.test [24.1.2.4])\n\tby inbound.example.test with ESMTP id X1; Mon, 23 Nov 2026 10:00:01 +0000\n" +
			"Received: from unknown (HELO mail.yahoo.com) (24.1.2.3) by mx.example.test with " + proto + "; Mon, 23 Nov 2026 10:00:00 +0000\n" +
			"From: a@b.example\nTo: c@d.example\nSubject: hi\n\nhello\n"
		res := rs.Check(context.Background(), NewMessage([]byte(msg)), CheckOptions{Local: true})
		if got := len(res.Hits) == 1; got != want {
			t.Errorf("with %s: hits %v, want NO_RDNS_DOTCOM_HELO %v", proto, res.Hits, want)
		}
	}
}
