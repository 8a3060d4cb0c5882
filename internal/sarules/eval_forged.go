package sarules

import (
	"regexp"
	"strings"
)

// Forged-relay evals (HeaderEval, RelayEval).

var (
	dotcomHeloRe   = regexp.MustCompile(`(?i)(?:\.|^)(?:lycos\.com|lycos\.co\.uk|hotmail\.com|localhost\.com|excite\.com|caramail\.com|cs\.com|aol\.com|msn\.com|yahoo\.com|drizzle\.com)$`)
	wsRunRe        = regexp.MustCompile(`\s+`)
	ipv4Re         = regexp.MustCompile(`^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$`)
	helo3OctetsRe  = regexp.MustCompile(`^(\d+\.\d+\.\d+\.)`)
	yahooTrusted   = regexp.MustCompile(` rdns=\S+\.yahoo\.com `)
	yahooUntrusted = regexp.MustCompile(`^[^\]]+ rdns=\S+\.yahoo\.com `)
	yahooOKRcvd    = []*regexp.Regexp{
		regexp.MustCompile(`by web\S+\.mail\S*\.yahoo\.com via HTTP`),
		regexp.MustCompile(`by sonic\S+\.consmr\.mail\S*\.yahoo\.com with HTTP`),
		regexp.MustCompile(`by smtp\S+\.yahoo\.com with SMTP`),
		regexp.MustCompile(`from \[\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\] by \S+\.(?:groups|scd|dcn)\.yahoo\.com with NNFMP`),
		regexp.MustCompile(`by \w+\.\w+\.yahoo\.com \(\d+\.\d+\.\d+/\d+\.\d+\.\d+\)(?: with ESMTP)? id \w+`),
	}
	yahooBulkRe = regexp.MustCompile(`\bmailer\d+\.bulk\.scd\.yahoo\.com\b`)

	hotmailPickupRe = regexp.MustCompile(`from mail pickup service by hotmail\.com with Microsoft SMTPSVC;`)
	anyIPRe         = regexp.MustCompile(`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-fA-F]*:[0-9a-fA-F:]+`)
	hotmailOrigRe   = regexp.MustCompile(`hotmail\.com|msonline\-outlook`)
	hotmailIPOK     = []*regexp.Regexp{ // genuine with X-Originating-Ip
		regexp.MustCompile(`from (?:\S*\.)?hotmail.com \(\S+\.hotmail(?:\.msn)?\.com[ )]`),
		regexp.MustCompile(`from \S*\.hotmail.com \(\[[0-9a-fA-F.:]+\][ ):]`),
		regexp.MustCompile(`from \S+ by \S+\.hotmail(?:\.msn)?\.com with HTTP;`),
		regexp.MustCompile(`from \[66\.218.\S+\] by \S+\.yahoo\.com`),
	}
	hotmailOrigOK = []*regexp.Regexp{ // genuine with X-OriginatorOrg
		regexp.MustCompile(`from \S*\.outbound\.protection\.outlook\.com \(\S+\.outbound\.protection\.outlook\.com[ )]`),
		regexp.MustCompile(`from \S*\.(?:eur|nam)prd\d+\.prod\.outlook\.com \([0-9a-fA-F.:]+\)`),
	}
	hotmailHeloRe = regexp.MustCompile(`(?:from |HELO |helo=)\S*hotmail\.com\b`)
	hotmailFromRe = regexp.MustCompile(`(?i)\bhotmail\.com$`)
	msnGroupsToRe = regexp.MustCompile(`(?i)<(\S+)@groups\.msn\.com>`)
	msnPickupRe   = regexp.MustCompile(`from mail pickup service by ((?:p\d\d\.)groups\.msn\.com)\b`)
)

// forgedHotmail is HeaderEval's _check_for_forged_hotmail_received_headers:
// (HELO'd as hotmail, From at hotmail.com) without a genuine Hotmail hop.
func forgedHotmail(p *pms) (forgedHelo, noRcvd bool) {
	from := strings.TrimSuffix(p.get("From:addr").s, "\n")
	raw := p.get("Received").s
	// both answers need "hotmail.com": in Received for hotmailHeloRe, in
	// From for hotmailFromRe; every other test only clears them
	if !strings.Contains(raw, "hotmail.com") && !hotmailFromRe.MatchString(from) {
		return false, false
	}
	rcvd := wsRunRe.ReplaceAllString(raw, " ")
	if hotmailPickupRe.MatchString(rcvd) || msnGroups(p) {
		return false, false
	}
	ip := anyIPRe.MatchString(p.get("X-Originating-Ip").s)
	orig := hotmailOrigRe.MatchString(p.get("X-OriginatorOrg").s)
	if gatedThroughRcvdRemover(p) {
		return false, false
	}
	for _, re := range hotmailIPOK {
		if ip && re.MatchString(rcvd) {
			return false, false
		}
	}
	for _, re := range hotmailOrigOK {
		if orig && re.MatchString(rcvd) {
			return false, false
		}
	}
	if hotmailHeloRe.MatchString(rcvd) {
		return true, false
	}
	return false, hotmailFromRe.MatchString(from)
}

// msnGroups is check_for_msn_groups_headers.
func msnGroups(p *pms) bool {
	m := msnGroupsToRe.FindStringSubmatch(p.get("To").s)
	if m == nil {
		return false
	}
	sm := msnPickupRe.FindStringSubmatch(p.get("Received").s)
	if sm == nil {
		return false
	}
	mid := p.get("Message-Id").s
	if m[1] == "notifications" {
		return strings.HasPrefix(mid, "<") && regexp.MustCompile(`^<\S+@`+regexp.QuoteMeta(sm[1])+`>`).MatchString(mid)
	}
	return regexp.MustCompile(`^<`+regexp.QuoteMeta(m[1])+`-\S+@groups\.msn\.com>`).MatchString(mid) &&
		strings.Contains(p.get("EnvelopeFrom:addr").s, m[1]+"-bounce@groups.msn.com")
}

var forgedEvals = map[string]evalFunc{
	"check_for_forged_yahoo_received_headers": func(p *pms, r *Rule, a []string) int {
		from := strings.ToLower(p.get("From:addr").s)
		from = strings.TrimSuffix(from, "\n")
		if !strings.HasSuffix(from, "yahoo.com") {
			return 0
		}
		rcvd := p.get("Received").s
		if p.get("Resent-From").s != "" && p.get("Resent-To").s != "" {
			if x := p.get("X-Received").s; x != "" {
				rcvd = x
			}
		}
		rcvd = wsRunRe.ReplaceAllString(rcvd, " ")
		if gatedThroughRcvdRemover(p) {
			return 0
		}
		ri := p.relays()
		if yahooTrusted.MatchString(relayString(ri.trusted)) || yahooUntrusted.MatchString(relayString(ri.untrusted)) {
			return 0
		}
		for _, re := range yahooOKRcvd {
			if re.MatchString(rcvd) {
				return 0
			}
		}
		if yahooBulkRe.MatchString(rcvd) && strings.HasSuffix(from, "@reply.yahoo.com") {
			return 0
		}
		return 1
	},
	"check_for_forged_hotmail_received_headers": func(p *pms, r *Rule, a []string) int {
		helo, _ := forgedHotmail(p)
		return btoi(helo)
	},
	"check_for_no_hotmail_received_headers": func(p *pms, r *Rule, a []string) int {
		_, no := forgedHotmail(p)
		return btoi(no)
	},
	// the last public untrusted relay decides: a big ISP's HELO from a
	// host the MTA found no rDNS for
	"check_for_no_rdns_dotcom_helo": func(p *pms, r *Rule, a []string) int {
		hit := false
		for _, rl := range p.relays().untrusted {
			if !rl.private {
				hit = rl.noRDNS && dotcomHeloRe.MatchString(rl.helo)
			}
		}
		return btoi(hit)
	},
	"helo_ip_mismatch": func(p *pms, r *Rule, a []string) int {
		for _, rl := range p.relays().untrusted {
			if !ipv4Re.MatchString(rl.helo) || isPrivateIP(rl.helo) {
				continue
			}
			m := helo3OctetsRe.FindStringSubmatch(rl.helo)
			if ipv4Re.MatchString(rl.ip) && !isPrivateIP(rl.ip) && rl.helo != rl.ip &&
				m != nil && !strings.HasPrefix(rl.ip, m[1]) {
				return 1
			}
		}
		return 0
	},
}
