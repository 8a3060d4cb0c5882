package sarules

import (
	"path"
	"strings"

	"blitiri.com.ar/go/spf"
)

// The eval functions of the DKIM, SPF and DMARC plugins as the stock
// rules (25_dkim.cf, 25_spf.cf, 25_dmarc.cf) use them. Results not in by
// the deadline make no rule hit. DKIM ADSP (RFC 5617, historic) is not
// implemented: check_dkim_adsp rules stay inactive.

// authResults waits for the network tasks and returns a snapshot.
func (p *pms) authResults() (a authResult, ok bool) {
	if p.net == nil {
		return authResult{}, false
	}
	p.net.wait()
	s := &p.net.auth
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authResult, true
}

// dkimDomainOK reports whether signing domain d is one of acceptable
// (all when empty); entries may be globs ("*.example.com").
func dkimDomainOK(d string, acceptable []string) bool {
	if len(acceptable) == 0 {
		return true
	}
	d = strings.ToLower(d)
	for _, a := range acceptable {
		a = strings.ToLower(a)
		if ok, _ := path.Match(a, d); ok || a == d {
			return true
		}
	}
	return false
}

// dkimValid returns the valid signatures whose domain passes ok.
func (p *pms) dkimValid(ok func(d string) bool) bool {
	a, _ := p.authResults()
	for _, v := range a.dkim {
		if v.Err == nil && ok(v.Domain) {
			return true
		}
	}
	return false
}

func (p *pms) authorDomains() map[string]bool {
	out := map[string]bool{}
	for _, addr := range p.getList("From:addr") {
		if i := strings.LastIndexByte(addr, '@'); i >= 0 {
			out[strings.ToLower(strings.Trim(addr[i+1:], ". "))] = true
		}
	}
	return out
}

func spfEval(helo bool, want spf.Result) evalFunc {
	return func(p *pms, r *Rule, args []string) int {
		a, ok := p.authResults()
		if !ok || !a.spfDone {
			return 0
		}
		if helo {
			return btoi(a.spfHelo == want)
		}
		return btoi(a.spf == want)
	}
}

func dmarcEval(result, policy string) evalFunc {
	return func(p *pms, r *Rule, args []string) int {
		a, ok := p.authResults()
		if !ok || !a.dmarcDone || a.dmarcResult != result {
			return 0
		}
		return btoi(policy == "" || string(a.dmarcPolicy) == policy)
	}
}

var authEvals = map[string]evalFunc{
	"check_dkim_signed": func(p *pms, r *Rule, args []string) int {
		a, ok := p.authResults()
		if !ok {
			return 0
		}
		if len(args) == 0 {
			return btoi(a.signed)
		}
		for _, v := range a.dkim {
			if dkimDomainOK(v.Domain, args) {
				return 1
			}
		}
		return 0
	},
	"check_dkim_valid": func(p *pms, r *Rule, args []string) int {
		return btoi(p.dkimValid(func(d string) bool { return dkimDomainOK(d, args) }))
	},
	"check_dkim_valid_author_sig": func(p *pms, r *Rule, args []string) int {
		authors := p.authorDomains()
		return btoi(p.dkimValid(func(d string) bool { return authors[strings.ToLower(d)] && dkimDomainOK(d, args) }))
	},
	"check_dkim_valid_envelopefrom": func(p *pms, r *Rule, args []string) int {
		mf := p.mailFrom()
		i := strings.LastIndexByte(mf, '@')
		if i < 0 {
			return 0
		}
		dom := strings.ToLower(mf[i+1:])
		return btoi(p.dkimValid(func(d string) bool { return strings.ToLower(d) == dom }))
	},
	// SpamAssassin: signatures are dependable when this plugin verified
	// them (none at all included) and the message was not truncated.
	"check_dkim_dependable": func(p *pms, r *Rule, args []string) int {
		a, ok := p.authResults()
		return btoi(ok && a.dkimDone)
	},
	"check_dkim_testing": func(p *pms, r *Rule, args []string) int { return 0 }, // t=y keys: go-msgauth does not say

	"check_for_spf_pass":           spfEval(false, spf.Pass),
	"check_for_spf_neutral":        spfEval(false, spf.Neutral),
	"check_for_spf_none":           spfEval(false, spf.None),
	"check_for_spf_fail":           spfEval(false, spf.Fail),
	"check_for_spf_softfail":       spfEval(false, spf.SoftFail),
	"check_for_spf_permerror":      spfEval(false, spf.PermError),
	"check_for_spf_temperror":      spfEval(false, spf.TempError),
	"check_for_spf_helo_pass":      spfEval(true, spf.Pass),
	"check_for_spf_helo_neutral":   spfEval(true, spf.Neutral),
	"check_for_spf_helo_none":      spfEval(true, spf.None),
	"check_for_spf_helo_fail":      spfEval(true, spf.Fail),
	"check_for_spf_helo_softfail":  spfEval(true, spf.SoftFail),
	"check_for_spf_helo_permerror": spfEval(true, spf.PermError),
	"check_for_spf_helo_temperror": spfEval(true, spf.TempError),

	"check_dmarc_pass":       dmarcEval("pass", ""),
	"check_dmarc_reject":     dmarcEval("fail", "reject"),
	"check_dmarc_quarantine": dmarcEval("fail", "quarantine"),
	"check_dmarc_none":       dmarcEval("fail", "none"),
	"check_dmarc_missing":    dmarcEval("missing", ""),
}
