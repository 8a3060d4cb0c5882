package verdict

import (
	"strings"

	"mailwall/internal/scan"
	"mailwall/internal/smtp"
)

// ScannerSpam is the spam scanner's name (scan.Scanner.Name): its result
// is what a Config with SpamOff does not see.
const ScannerSpam = "SPAM"

// For returns the Config that decides for the recipient addr
// (local@domain): its own entry in Recipients, else its domain's in
// Domains, else c. Matching ignores case; a domain entry covers that
// domain only, not its subdomains.
func (c *Config) For(addr string) *Config {
	if len(c.Recipients) == 0 && len(c.Domains) == 0 {
		return c
	}
	addr = strings.ToLower(addr)
	if r := c.Recipients[addr]; r != nil {
		return r
	}
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		if d := c.Domains[addr[i+1:]]; d != nil {
			return d
		}
	}
	return c
}

// SpamWanted reports whether any of rcpts has the spam check on. When
// none has, the caller need not run the spam scanner at all.
func (c *Config) SpamWanted(rcpts []string) bool {
	for _, r := range rcpts {
		if !c.For(r).SpamOff {
			return true
		}
	}
	return false
}

// view is rep as c decides on it: with the spam check off, without the
// spam scanner's result. rep itself is never changed.
func (c *Config) view(rep *scan.Report) *scan.Report {
	if !c.SpamOff {
		return rep
	}
	return edit(rep, func(*scan.Result) *scan.Result { return nil })
}

// View is rep as the copy decided by cfg with verdict v carries it in
// its headers: with the spam check off, without the spam scanner's
// result; when v does not tag the message as spam, without the spam
// scanner's X-Spam-Flag (its rules' required_score may be below the
// recipient's tag threshold). rep itself is never changed.
func View(cfg *Config, v Verdict, rep *scan.Report) *scan.Report {
	rep = cfg.view(rep)
	if v.Spam {
		return rep
	}
	return edit(rep, func(res *scan.Result) *scan.Result {
		var keep []scan.HeaderField
		for _, h := range res.Headers {
			if !strings.EqualFold(h.Name, "X-Spam-Flag") {
				keep = append(keep, h)
			}
		}
		if len(keep) == len(res.Headers) {
			return res
		}
		c := *res
		c.Headers = keep
		return &c
	})
}

// edit returns a copy of rep whose spam scanner result is f(result).
func edit(rep *scan.Report, f func(*scan.Result) *scan.Result) *scan.Report {
	out := *rep
	out.Results = append([]*scan.Result(nil), rep.Results...)
	changed := false
	for i, name := range rep.Scanners {
		if name == ScannerSpam && i < len(out.Results) && out.Results[i] != nil {
			if r := f(out.Results[i]); r != out.Results[i] {
				out.Results[i], changed = r, true
			}
		}
	}
	if !changed {
		return rep
	}
	return &out
}

// Group is recipients that get the same outcome, and so the same copy.
type Group struct {
	Verdict Verdict
	// Config decided for the group (its first recipient's); with
	// SpamOff the copy carries no spam headers (see View).
	Config *Config
	// Rcpts are indexes into the recipients given to Plan, in order.
	Rcpts []int
}

// Kept reports whether the group's recipients get a copy (delivered or
// quarantined).
func (g *Group) Kept() bool {
	a := g.Verdict.Action
	return a == Accept || a == Tag || a == Quarantine
}

// Decision is what happens to one transaction with its recipients.
type Decision struct {
	// Verdict is for the whole transaction at DATA. Reject and TempFail
	// refuse the message; any other action accepts it, and then the
	// Groups say what each recipient gets. For a front end that cannot
	// split a message (milter) it is also the one action to take.
	Verdict Verdict
	// Groups partition the recipients by outcome, ordered by their
	// first recipient. One group: every recipient agrees.
	Groups []Group
}

// Plan decides for each of rcpts under its own Config (For) on the same
// report (the score is computed once) and combines the outcomes:
//
//   - every recipient agrees: that verdict, as for one recipient;
//   - any recipient's outcome is TempFail: the transaction is
//     tempfailed (the retry decides again, nothing is lost);
//   - every outcome is Reject: the transaction is rejected with the
//     least severe reply (see leastSevere);
//   - otherwise the message is accepted: recipients whose outcome is
//     Accept, Tag or Quarantine get their own copy per group, those
//     whose outcome is Reject or Discard get nothing (it is dropped for
//     them, after 250). Verdict is then the least severe kept outcome
//     (Accept < Tag < Quarantine), or Discard when no one keeps it.
func Plan(cfg *Config, rep *scan.Report, rcpts []string) Decision {
	type key struct {
		action                 Action
		spam, spamOff          bool
		reason, detail, errTxt string
	}
	var d Decision
	index := map[key]int{}
	decided := map[*Config]Verdict{}
	for i, r := range rcpts {
		c := cfg.For(r)
		v, ok := decided[c]
		if !ok {
			v = Decide(c, rep)
			decided[c] = v
		}
		k := key{action: v.Action, spam: v.Spam, spamOff: c.SpamOff, reason: v.Reason, detail: v.Detail}
		if v.Err != nil {
			k.errTxt = v.Err.Error()
		}
		g, ok := index[k]
		if !ok {
			g = len(d.Groups)
			index[k] = g
			d.Groups = append(d.Groups, Group{Verdict: v, Config: c})
		}
		d.Groups[g].Rcpts = append(d.Groups[g].Rcpts, i)
	}
	d.Verdict = combine(d.Groups)
	return d
}

// combine is the transaction's verdict from its groups (see Plan).
func combine(gs []Group) Verdict {
	switch len(gs) {
	case 0:
		return Verdict{Action: Accept}
	case 1:
		return gs[0].Verdict
	}
	rejects := 0
	for _, g := range gs {
		switch g.Verdict.Action {
		case TempFail:
			return g.Verdict
		case Reject:
			rejects++
		}
	}
	if rejects == len(gs) {
		return leastSevere(gs).Verdict
	}
	var best *Group
	for i := range gs {
		if g := &gs[i]; g.Kept() && (best == nil || g.Verdict.Action < best.Verdict.Action) {
			best = g
		}
	}
	if best != nil {
		return best.Verdict
	}
	for _, g := range gs {
		if g.Verdict.Action == Discard {
			return g.Verdict
		}
	}
	return Verdict{Action: Discard, Reason: gs[0].Verdict.Reason, Detail: gs[0].Verdict.Detail}
}

// leastSevere picks the reply when every recipient rejects: a reject
// for the spam score is less severe than any other (a forced rule, a
// virus); between score rejects the one with the highest reject_score
// (the recipient closest to accepting) is less severe; ties go to the
// first recipient in RCPT order.
func leastSevere(gs []Group) *Group {
	best := &gs[0]
	rank := func(g *Group) (int, float64) {
		if g.Verdict.Reason == smtp.ReasonSpam {
			return 0, -g.Config.RejectScore
		}
		return 1, 0
	}
	for i := 1; i < len(gs); i++ {
		r, s := rank(&gs[i])
		br, bs := rank(best)
		if r < br || (r == br && s < bs) {
			best = &gs[i]
		}
	}
	return best
}
