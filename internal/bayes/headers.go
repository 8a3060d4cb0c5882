package bayes

import (
	"net/mail"
	"regexp"
	"strings"
)

// # Header tokens
//
// As SpamAssassin's _tokenize_headers: headers that only add noise or that
// chain from other filters are skipped (ignoredHeaders); all Received
// headers but the last two (the oldest, nearest the sender) are dropped;
// some headers are pre-chewed (addresses into N*, U*, D* tokens, Message-ID
// split at likely boundaries, Received stripped of dates and queue IDs and
// IPs cut to /24, Content-Type boundaries reduced to their shape); header
// names are compressed (From -> *F). From/To/Cc also feed *Ad, Message-ID,
// In-Reply-To and References feed *MI, and X-Mailer/User-Agent feed *UA.

var ignoredHeaders = regexp.MustCompile(`(?i)^(?:` + strings.Join([]string{
	`(?:X-)?Sender`, `Delivered-To`, `Delivery-Date`, `(?:X-)?Envelope-To`,
	`X-MIME-Auto[Cc]onverted`, `X-Converted-To-Plain-Text`,
	`Subject`, // the body carries it
	`Date`,    // corpus age would become a clue
	// mailing list headers: a list that filters spam would turn into a ham sign
	`X-List`, `(?:X-)?Mailing-List`,
	`(?:X-)?List-(?:Archive|Help|Id|Owner|Post|Subscribe|Unsubscribe|Host|Manager|Admin|Comment|Name|Url)`,
	`X-Unsub(?:scribe)?`, `X-Mailman-Version`, `X-Been[Tt]here`, `X-Loop`,
	`Mail-Followup-To`, `X-eGroups-(?:Return|From)`, `X-MDMailing-List`,
	`X-XEmacs-List`, `X-Sympa-To`,
	`(?:X-)?Resent-(?:From|To|Date)`, `(?:X-)?Original-(?:From|To|Date)`,
	// other filters' verdicts: too easy to learn from
	`X-MailScanner(?:-SpamCheck)?`,
	`X-Spam(?:-(?:Status|Level|Flag|Report|Hits|Score|Checker-Version))?`,
	`X-Antispam`, `X-RBL-Warning`, `X-Mailscanner`, `X-MDaemon-Deliver-To`,
	`X-Virus-Scanned`, `X-Mass-Check-Id`, `X-Pyzor`, `X-DCC-\S{2,25}-Metrics`,
	`X-Filtered-B[Yy]`, `X-Scanned-By`, `X-Scanner`, `X-AP-Spam-(?:Score|Status)`,
	`X-RIPE-Spam-Status`, `X-SpamCop-[^:]+`, `X-SMTPD`, `(?:X-)?Spam-Apparently-To`,
	`SPAM`, `X-Perlmx-Spam`, `X-Bogosity`,
	// noisy client and mail store annotations
	`Content-Class`, `Thread-(?:Index|Topic)`, `X-Original[Aa]rrival[Tt]ime`,
	`(?:X-)?Status`, `X-Flags`, `X-Keywords`, `Replied`, `Forwarded`, `Lines`,
	`Content-Length`, `X-UIDL?`, `X-IMAPbase`, `X-Bugzilla-[^:]+`,
	`X-VM-(?:Bookmark|(?:POP|IMAP)-Retrieved|Labels|Last-Modified|Summary-Format|VHeader|v\d-Data|Message-Order)`,
	`X-Gnus-Mail-Source`, `Xref`,
}, "|") + `)$`)

// presenceOnlyHeaders are reduced to "1": their values are all hapaxes.
var presenceOnlyHeaders = regexp.MustCompile(`(?i)^(?:X-Face|X-(?:Gnu-?PG|PGP|GPG)(?:-Key)?-Fingerprint|D(?:KIM|omainKey)-Signature|X-Google-DKIM-Signature|ARC-(?:Message-Signature|Seal)|Autocrypt)$`)

var (
	reMsgIDHeader = regexp.MustCompile(`(?i)^(?:|X-|Resent-)Message-Id$`)
	reAddrHeader  = regexp.MustCompile(`(?i)^(?:|X-|Resent-)(?:Return-Path|From|To|Cc|Reply-To|Errors-To|Mail-Followup-To|Sender)$`)
	reMapMI       = regexp.MustCompile(`(?i)^(?:In-Reply-To|References|Message-ID)$`)
	reMapAd       = regexp.MustCompile(`(?i)^(?:From|To|Cc)$`)
	reMapUA       = regexp.MustCompile(`(?i)^(?:X-Mailer|User-Agent)$`)
	// SpamAssassin's relay metadata pseudo-headers (see Input.Headers).
	reRelaysHeader = regexp.MustCompile(`^x-spam-relays-(?:external|internal|trusted|untrusted)$`)
	reRelayKey     = regexp.MustCompile(` [a-z]+=`)
)

// headerNameCompression maps exact (case-sensitive) header names to the
// short names used in token prefixes.
var headerNameCompression = map[string]string{
	"Message-Id": "*m", "Message-ID": "*M", "Received": "*r", "User-Agent": "*u",
	"References": "*f", "In-Reply-To": "*i", "From": "*F", "Reply-To": "*R",
	"Return-Path": "*p", "Return-path": "*rp", "X-Mailer": "*x",
	"X-Authentication-Warning": "*a", "Organization": "*o", "Organisation": "*o",
	"Content-Type": "*ct", "Content-Disposition": "*cd",
	"Content-Transfer-Encoding": "*ce",
	"x-spam-relays-trusted":     "*RT", "x-spam-relays-untrusted": "*RU",
}

// headerGroup is one prefix with its joined values, in first-seen order so
// that tokenization is deterministic.
type headerGroup struct {
	name, val string
}

// groupHeaders applies the skip, pre-chew, map and compression steps and
// returns the text to tokenize per header prefix.
func groupHeaders(hs []Field, ignore map[string]bool) []headerGroup {
	var rcvd []Field
	var keep []Field
	for _, h := range hs {
		if strings.EqualFold(h.Name, "Received") {
			rcvd = append(rcvd, h)
			continue
		}
		if ignoredHeaders.MatchString(h.Name) {
			continue
		}
		keep = append(keep, h)
	}
	for i := len(rcvd) - 1; i >= 0 && i >= len(rcvd)-2; i-- {
		keep = append(keep, rcvd[i])
	}

	var groups []headerGroup
	pos := map[string]int{}
	add := func(name, val string) {
		if i, ok := pos[name]; ok {
			groups[i].val += " " + val
			return
		}
		pos[name] = len(groups)
		groups = append(groups, headerGroup{name, val})
	}
	for _, h := range keep {
		if strings.TrimSpace(h.Name+h.Value) == "" || ignore[strings.ToLower(h.Name)] {
			continue
		}
		name, val := h.Name, strings.TrimRight(h.Value, "\r\n")
		switch {
		case reMsgIDHeader.MatchString(name):
			val = chewMessageID(val)
		case reAddrHeader.MatchString(name):
			val = chewAddrHeader(val)
		case name == "Received":
			val = chewReceived(val)
		case name == "Content-Type":
			val = chewContentType(val)
		case name == "MIME-Version":
			val = strings.Replace(val, "1.0", "", 1)
		case presenceOnlyHeaders.MatchString(name):
			val = "1"
		case reRelaysHeader.MatchString(name):
			val = reRelayKey.ReplaceAllLiteralString(val, " ")
		}
		switch {
		case reMapMI.MatchString(name):
			add("*MI", val)
		case reMapAd.MatchString(name):
			add("*Ad", val)
		case reMapUA.MatchString(name):
			add("*UA", val)
		}
		if short, ok := headerNameCompression[name]; ok {
			name = short
		}
		add(name, val)
	}
	return groups
}

var (
	reOEMsgID       = regexp.MustCompile(`<([0-9a-f]{4})[0-9a-f]{4}[0-9a-f]{4}\$([0-9a-f]{4})[0-9a-f]{4}\$([0-9a-f]{8})@(\S+)>`)
	reEximMsgID     = regexp.MustCompile(`<[A-Za-z0-9]{7}-[A-Za-z0-9]{6}-0[A-Za-z0-9]@`)
	reSendmailMsgID = regexp.MustCompile(`<20\d\d[01]\d[0123]\d[012]\d[012345]\d[012345]\d\.[A-F0-9]{10,12}@`)
	reNonIDChar     = regexp.MustCompile(`[^_A-Za-z0-9]`)
)

// chewMessageID keeps the useful shape of common Message-ID formats
// (Outlook Express, Exim, Sendmail) and splits the rest at non-word bytes.
func chewMessageID(v string) string {
	v = reOEMsgID.ReplaceAllString(v, " OEA$1 OEB$2 OEC$3 $4 ")
	// QUIRK: SpamAssassin removes only the first Exim-style prefix.
	if loc := reEximMsgID.FindStringIndex(v); loc != nil {
		v = v[:loc[0]] + v[loc[1]:]
	}
	v = reSendmailMsgID.ReplaceAllLiteralString(v, "")
	return reNonIDChar.ReplaceAllLiteralString(v, " ")
}

// chewAddrHeader turns an address list into N*word (display-name words),
// U*user and D*domain tokens.
func chewAddrHeader(v string) string {
	var toks []string
	addrs, err := mail.ParseAddressList(v)
	if err != nil {
		// Unparseable lists still yield their addresses.
		for _, a := range reLooseAddr.FindAllString(v, -1) {
			toks = append(toks, mailAddrTokens(a)...)
		}
		return strings.Join(toks, " ")
	}
	for _, a := range addrs {
		for _, w := range strings.Fields(a.Name) {
			toks = append(toks, "N*"+w)
		}
		toks = append(toks, mailAddrTokens(a.Address)...)
	}
	return strings.Join(toks, " ")
}

var reLooseAddr = regexp.MustCompile(`[^\s<>"(),;:]+@[^\s<>"(),;:]+`)

var (
	reRcvdSendmailID = regexp.MustCompile(`\swith\sSMTP\sid\sg[\dA-Z]{10,12}\s`)
	reRcvdSendmailE  = regexp.MustCompile(`\swith\sESMTP\sid\s[\dA-F]{10,12}\s`)
	reRcvdID         = regexp.MustCompile(`\bid\s[a-zA-Z0-9]{7,20}\b`)
	reRcvdEximID     = regexp.MustCompile(`\bid\s[A-Za-z0-9]{7}-[A-Za-z0-9]{6}-0[A-Za-z0-9]`)
	reRcvdDate       = regexp.MustCompile(`(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s)?[0-3\s]?[0-9]\s(?:Jan|Feb|Ma[ry]|Apr|Ju[nl]|Aug|Sep|Oct|Nov|Dec)\s(?:19|20)?[0-9]{2}\s[0-2][0-9](?::[0-5][0-9]){1,2}\s(?:\s*\(|\)|\s*(?:[+-][0-9]{4})|\s*(?:UT|[A-Z]{2,3}T))*`)
	reRcvdIP         = regexp.MustCompile(`\b(\d{1,3}\.)(\d{1,3}\.)(\d{1,3})(\.\d{1,3})\b`)
	reRcvdNoise      = regexp.MustCompile(`\b(?:with|from|for|SMTP|ESMTP)\b`)
)

// chewReceived removes queue IDs, dates and filler words and cuts IPv4
// addresses to their /24, adding an ip*a.b.c.d token for the full address.
//
// QUIRK: SpamAssassin meant to keep 10/8 and 192.168/16 addresses whole,
// but its test compares an octet that still carries its dot, so it never
// does; mailwall cuts every address the same way to stay compatible.
func chewReceived(v string) string {
	v = reRcvdSendmailID.ReplaceAllLiteralString(v, " ")
	v = reRcvdSendmailE.ReplaceAllLiteralString(v, " ")
	v = reRcvdID.ReplaceAllLiteralString(v, " ")
	v = reRcvdEximID.ReplaceAllLiteralString(v, " ")
	v = reRcvdDate.ReplaceAllLiteralString(v, "")
	v = reRcvdIP.ReplaceAllString(v, "$1$2$3 ip*$1$2$3$4 ")
	return reRcvdNoise.ReplaceAllLiteralString(v, " ")
}

var (
	reBoundary    = regexp.MustCompile(`(?i)boundary=["'](.*?)["']`)
	reHex         = regexp.MustCompile(`[a-fA-F0-9]`)
	reSepRun      = regexp.MustCompile(`([-_.=]+)`)
	reCTStopwords = regexp.MustCompile(`\b(?:text|charset)\b`)
)

// chewContentType reduces a quoted boundary to its shape (hex digits become
// H, separator runs become their own tokens) and drops gray words.
func chewContentType(v string) string {
	var boundary string
	if m := reBoundary.FindAllStringSubmatch(v, -1); m != nil {
		boundary = m[len(m)-1][1]
		v = reBoundary.ReplaceAllLiteralString(v, " ")
		boundary = reHex.ReplaceAllLiteralString(boundary, "H")
		boundary = reSepRun.ReplaceAllString(boundary, " $1 ")
		v += boundary
	}
	return reCTStopwords.ReplaceAllLiteralString(v, " ")
}
