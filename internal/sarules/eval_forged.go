package sarules

import (
	"regexp"
	"strings"
)

// Forged-relay evals (HeaderEval, RelayEval).

var (
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
)

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
