package sarules

import (
	"regexp"
	"strconv"
	"strings"
)

// Header eval functions (Mail::SpamAssassin::Plugin::HeaderEval and
// friends).
var headerEvals = map[string]evalFunc{
	"check_for_missing_to_header": func(p *pms, r *Rule, a []string) int {
		return btoi(!p.get("To").ok && !p.get("Apparently-To").ok)
	},
	"check_header_count_range": func(p *pms, r *Rule, a []string) int {
		if len(a) < 3 {
			return 0
		}
		n := len(headerValues(p.m.Header, a[0], true))
		lo, _ := strconv.Atoi(a[1])
		hi, _ := strconv.Atoi(a[2])
		return btoi(n >= lo && n <= hi)
	},
	"check_for_shifted_date": checkShiftedDate,
	"check_all_trusted": func(p *pms, r *Rule, a []string) int {
		ri := p.relays()
		return btoi(len(ri.trusted) > 0 && len(ri.untrusted) == 0 && ri.unparseable == 0)
	},
	"check_no_relays": func(p *pms, r *Rule, a []string) int {
		ri := p.relays()
		return btoi(len(ri.trusted) == 0 && len(ri.untrusted) == 0 && ri.unparseable == 0)
	},
	"check_relays_unparseable": func(p *pms, r *Rule, a []string) int {
		return btoi(p.relays().unparseable > 0)
	},
	"subject_is_all_caps": subjectAllCaps,
	"check_illegal_chars": checkIllegalChars,
	// check_from_in_list(LIST), check_to_in_list(LIST),
	// check_replyto_in_list(LIST): enlist_addrlist lists (WLBLEval)
	"check_from_in_list": func(p *pms, r *Rule, a []string) int {
		l := p.addrList(a)
		return btoi(l != nil && addrInList(strings.Join(p.allFromAddrs(), "\n"), p.rs.globList(l)))
	},
	"check_to_in_list": func(p *pms, r *Rule, a []string) int {
		l := p.addrList(a)
		return btoi(l != nil && addrInList(p.get("ToCc:addr").s, p.rs.globList(l)))
	},
	"check_replyto_in_list": func(p *pms, r *Rule, a []string) int {
		l := p.addrList(a)
		return btoi(l != nil && addrInList(p.get("Reply-To:addr").s, p.rs.globList(l)))
	},
	"check_from_in_welcomelist": func(p *pms, r *Rule, a []string) int {
		return btoi(addrInList(p.get("From:addr").s, p.rs.globList(&p.rs.welcomeFrom)))
	},
	"check_from_in_whitelist": func(p *pms, r *Rule, a []string) int {
		return btoi(addrInList(p.get("From:addr").s, p.rs.globList(&p.rs.welcomeFrom)))
	},
	"check_from_in_blocklist": func(p *pms, r *Rule, a []string) int {
		return btoi(addrInList(p.get("From:addr").s, p.rs.globList(&p.rs.blockFrom)))
	},
	"check_from_in_blacklist": func(p *pms, r *Rule, a []string) int {
		return btoi(addrInList(p.get("From:addr").s, p.rs.globList(&p.rs.blockFrom)))
	},
	"check_to_in_welcomelist": func(p *pms, r *Rule, a []string) int {
		return btoi(addrInList(p.get("ToCc:addr").s, p.rs.globList(&p.rs.welcomeTo)))
	},
	"check_to_in_whitelist": func(p *pms, r *Rule, a []string) int {
		return btoi(addrInList(p.get("ToCc:addr").s, p.rs.globList(&p.rs.welcomeTo)))
	},
	"check_to_in_blocklist": func(p *pms, r *Rule, a []string) int {
		return btoi(addrInList(p.get("ToCc:addr").s, p.rs.globList(&p.rs.blockTo)))
	},
	"check_to_in_blacklist": func(p *pms, r *Rule, a []string) int {
		return btoi(addrInList(p.get("ToCc:addr").s, p.rs.globList(&p.rs.blockTo)))
	},
}

// addrInList matches addresses (one per line) against glob patterns.
func addrInList(addrs string, list *globList) bool {
	for _, a := range strings.Split(strings.ToLower(addrs), "\n") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if list.match(a) {
			return true
		}
	}
	return false
}

// globMatch matches SpamAssassin list globs: * and ? only.
func globMatch(pat, s string) bool {
	if pat == "" {
		return s == ""
	}
	switch pat[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pat[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pat[1:], s[1:])
	}
	return s != "" && s[0] == pat[0] && globMatch(pat[1:], s[1:])
}

// check_for_shifted_date(min, max): Date minus Received time within
// [min, max) hours (HeaderEval).
func checkShiftedDate(p *pms, r *Rule, a []string) int {
	if len(a) < 2 {
		return 0
	}
	d, _ := p.dateDiff()
	lo, hi := parseBound(a[0], true), parseBound(a[1], false)
	return btoi(d >= 3600*lo && d < 3600*hi)
}

func parseBound(s string, low bool) float64 {
	if s == "undef" || s == "" {
		if low {
			return -1e18
		}
		return 1e18
	}
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// subject_is_all_caps, as HeaderEval: the decoded Subject without
// reply and forward prefixes, of several words and at least 10 bytes,
// whose ASCII letters are all upper case; not for a subject encoded in a
// charset whose letters read as capitals.
func subjectAllCaps(p *pms, r *Rule, a []string) int {
	s := strings.TrimSpace(p.get("Subject").s)
	s = subjReplyPrefixRe.ReplaceAllString(s, "")
	if !strings.ContainsAny(s, " \t\n\r\f\v") || len(s) < 10 {
		return 0
	}
	if capsCharsetRe.MatchString(p.get("Subject:raw").s) {
		return 0
	}
	letters := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			return 0
		}
		letters += btoi(c >= 'A' && c <= 'Z')
	}
	return btoi(letters > 0)
}

var (
	subjReplyPrefixRe = regexp.MustCompile(`(?i)^(?:(?:Re|Fwd|Fw|Aw|Antwort|WG|SV|VB|VS|VL):\s*)+`)
	// CHARSETS_LIKELY_TO_FP_AS_CAPS in an encoded word
	capsCharsetRe = regexp.MustCompile(`(?i)=\?[-_a-z0-9]*(?:koi|jp|jis|euc|gb|big5|isoir|cp1251|windows-1251|georgianps|pt154|tis)[-_a-z0-9]*\?`)
)

// check_illegal_chars(header, ratio, count): high-bit bytes in a header.
func checkIllegalChars(p *pms, r *Rule, a []string) int {
	if len(a) < 3 {
		return 0
	}
	size, illegal := 0, 0
	tally := func(s string) {
		size += len(s)
		for i := 0; i < len(s); i++ {
			illegal += int(s[i] >> 7)
		}
	}
	if a[0] == "ALL" {
		for _, f := range p.m.Header {
			if len(f.Name) >= 2 && strings.EqualFold(f.Name[:2], "x-") || strings.EqualFold(f.Name, "subject") || strings.EqualFold(f.Name, "from") {
				continue
			}
			tally(f.Raw)
		}
	} else {
		tally(p.get(a[0] + ":raw").s)
	}
	ratio, _ := strconv.ParseFloat(a[1], 64)
	count, _ := strconv.Atoi(a[2])
	if size == 0 || illegal == 0 {
		return 0
	}
	return btoi(float64(illegal)/float64(size) > ratio && illegal >= count)
}

// addrList is the enlist_addrlist list the eval's argument names, nil if
// none was enlisted.
func (p *pms) addrList(a []string) *[]string {
	if len(a) == 0 {
		return nil
	}
	return p.rs.addrLists[a[0]]
}

// allFromAddrs is PerMsgStatus::all_from_addrs: the Resent-From addresses
// if there are any, else the addresses of From, Envelope-Sender,
// Resent-Sender, X-Envelope-From and the envelope sender, runs of dots
// squeezed.
func (p *pms) allFromAddrs() []string {
	if p.fromAddrs == nil {
		p.fromAddrs = p.readFromAddrs()
	}
	return *p.fromAddrs
}

// readFromAddrs computes allFromAddrs (which keeps the answer: several
// evals ask).
func (p *pms) readFromAddrs() *[]string {
	if r := p.addrs("Resent-From:addr"); len(r) > 0 {
		return &r
	}
	var out []string
	for _, h := range []string{"From:addr", "Envelope-Sender:addr", "Resent-Sender:addr", "X-Envelope-From:addr", "EnvelopeFrom:addr"} {
		for _, a := range p.addrs(h) {
			if a != "" {
				for strings.Contains(a, "..") {
					a = strings.ReplaceAll(a, "..", ".")
				}
				out = append(out, a)
			}
		}
	}
	return &out
}
