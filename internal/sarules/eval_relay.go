package sarules

import (
	"regexp"
	"strconv"
	"strings"
)

// Relay, Message-ID and DKIM evals (RelayEval, WLBLEval, HeaderEval, DKIM).

// registrable returns the registered domain of host using util_rb_2tld
// and util_rb_3tld (RegistryBoundaries' split_domain).
func (rs *Ruleset) registrable(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	labels := strings.Split(host, ".")
	n := len(labels)
	keep := 2
	if n >= 3 && rs.tld3[strings.Join(labels[n-3:], ".")] {
		keep = 4
	} else if n >= 2 && rs.tld2[strings.Join(labels[n-2:], ".")] {
		keep = 3
	}
	if n <= keep {
		return host
	}
	return strings.Join(labels[n-keep:], ".")
}

var (
	mlEzmlmRe   = regexp.MustCompile(`(?m)^contact \S+@\S+; run by ezmlm$`)
	dlToMLRe    = regexp.MustCompile(`(?m)^mailing list \S+@\S+`)
	qmailInvRe  = regexp.MustCompile(`qmail \d+ invoked (?:from network|by .{3,20})\); \d+ ... \d+`)
	msnGroupsRe = regexp.MustCompile(`from groups\.msn\.com \(\S+\.msn\.com `)
	outlookIDRe = regexp.MustCompile(`^<[0-9a-f]{4}([0-9a-f]{8})\$[0-9a-f]{8}\$[0-9a-f]{8}@`)
	lastRcvdRe  = regexp.MustCompile(`(\s.?\d+ \S\S\S \d+ \d+:\d+:\d+ \S+)[^\n]*\n?$`)
)

func gatedThroughRcvdRemover(p *pms) bool {
	if ml := p.get("Mailing-List"); ml.ok && mlEzmlmRe.MatchString(ml.s) {
		if dlToMLRe.MatchString(p.get("Delivered-To").s) && qmailInvRe.MatchString(p.get("Received").s) {
			return true
		}
	}
	rcvd := p.get("Received")
	if !rcvd.ok {
		return true
	}
	return msnGroupsRe.MatchString(rcvd.s)
}

// dateSeconds parses a date to Unix seconds, 0 when unparseable.
func dateSeconds(s string) float64 {
	t, ok := parseDate(s)
	if !ok {
		return 0
	}
	return float64(t.Unix())
}

var relayEvals = map[string]evalFunc{
	"check_mailfrom_matches_rcvd": func(p *pms, r *Rule, a []string) int {
		sender, _, _ := strings.Cut(p.get("EnvelopeFrom:addr").s, "\n")
		i := strings.LastIndexByte(sender, '@')
		if i < 0 || !strings.Contains(sender[i+1:], ".") {
			return 0
		}
		ri := p.relays()
		relays := ri.trusted
		if len(ri.untrusted) > 0 {
			relays = ri.untrusted[:1]
		}
		ad := p.rs.registrable(sender[i+1:])
		for _, rl := range relays {
			if rl.rdns != "" && p.rs.registrable(rl.rdns) == ad {
				return 1
			}
		}
		return 0
	},
	"gated_through_received_hdr_remover": func(p *pms, r *Rule, a []string) int {
		return btoi(gatedThroughRcvdRemover(p))
	},
	"check_outlook_message_id": func(p *pms, r *Rule, a []string) int {
		m := outlookIDRe.FindStringSubmatch(p.get("MESSAGEID").s)
		if m == nil {
			return 0
		}
		tok, _ := strconv.ParseUint(m[1], 16, 64)
		const x, y, fudge = 0.0023283064365387, 27111902.8329849, 250
		diff := func(secs float64) float64 { return float64(tok) - float64(int64(secs*x+y)) }
		if abs(diff(dateSeconds(p.get("Date").s))) < fudge {
			return 0
		}
		rcvd := 0.0
		if mm := lastRcvdRe.FindStringSubmatch(p.get("Received").s); mm != nil {
			rcvd = dateSeconds(mm[1])
		}
		return btoi(abs(diff(rcvd)) >= fudge)
	},
	// DKIM evals: eval_auth_rules.go.
}
