package sarules

import (
	"regexp"
	"strings"
)

// FreeMail plugin and From-domain evals.

// freemailWelcome is FreeMail.pm's built-in welcome list of role and
// bounce addresses at freemail providers.
var freemailWelcome = regexp.MustCompile(`(?i)^(?:abuse|support|sales|info|helpdesk|contact|kontakt|(?:post|host|domain)master|undisclosed.*|request-[a-f0-9]{16}|bounced?-|[a-f0-9]{8}(?:\.[a-f0-9]{8}|-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})|.+=.+=.+)@`)

// FreeMail.pm limits: more addresses than this in the body and the body
// check gives up.
const (
	freemailMaxBodyEmails    = 5
	freemailMaxBodyFreemails = 3
)

func (rs *Ruleset) isFreemail(email string) bool {
	if email == "" || freemailWelcome.MatchString(email) {
		return false
	}
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return false
	}
	dom := email[i+1:]
	if rs.freemailDomains[dom] {
		return true
	}
	if len(rs.freemailGlobs) == 0 {
		return false
	}
	// the globs' answer for a domain is kept: the same few domains come
	// in message after message
	if v, ok := rs.freemailSeen.Load(dom); ok {
		return v.(bool)
	}
	fm := false
	for _, g := range rs.freemailGlobs {
		if freemailGlob(g, dom) {
			fm = true
			break
		}
	}
	if rs.freemailSeenN.Add(1) <= freemailSeenMax {
		rs.freemailSeen.Store(dom, fm)
	}
	return fm
}

// freemailSeenMax bounds Ruleset.freemailSeen (random domains of spam
// would grow it without end); past it, the globs run each time.
const freemailSeenMax = 20_000

// freemailGlob: '*' matches within one label, '?' one character.
func freemailGlob(pat, s string) bool {
	if pat == "" {
		return s == ""
	}
	switch pat[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if freemailGlob(pat[1:], s[i:]) {
				return true
			}
			if i < len(s) && s[i] == '.' {
				break
			}
		}
		return false
	case '?':
		return s != "" && freemailGlob(pat[1:], s[1:])
	}
	return s != "" && s[0] == pat[0] && freemailGlob(pat[1:], s[1:])
}

func (p *pms) addrs(req string) []string {
	var out []string
	for _, a := range p.getList(req) {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func optionalRegex(a []string, i int) *Regex {
	if len(a) <= i {
		return nil
	}
	re, err := compilePattern(a[i], a[i], "")
	if err != nil {
		return nil
	}
	return re
}

// freemailBody returns the freemail addresses in the body; ok is false
// when the body has too many addresses (FreeMail.pm _parse_body).
func (p *pms) freemailBody() (map[string]bool, bool) {
	seen := map[string]bool{}
	fm := map[string]bool{}
	add := func(e string) {
		e = strings.ToLower(e)
		seen[e] = true
		if p.rs.isFreemail(e) {
			fm[e] = true
		}
	}
	// mailto: links, which the rendered text may not show (those it
	// does, parsed from the text as well, are found there)
	parsed := map[string]bool{}
	for _, u := range p.rawURIs[min(len(p.m.uris), len(p.rawURIs)):] {
		parsed[u] = true
	}
	for _, part := range p.m.Parts {
		if part.html == nil {
			continue
		}
		for _, h := range part.html.hrefs {
			if len(h) > 7 && strings.EqualFold(h[:7], "mailto:") && !parsed[h] {
				if loc := emailRe.FindStringIndex(h[7:]); loc != nil && loc[0] == 0 {
					add(h[7 : 7+loc[1]])
				}
			}
		}
	}
	for _, line := range p.m.body {
		if strings.IndexByte(line, '@') < 0 {
			continue // emailRe needs one
		}
		for _, e := range quotedEmails(line) {
			add(e)
		}
	}
	if len(seen) > freemailMaxBodyEmails || len(fm) > freemailMaxBodyFreemails {
		return nil, false
	}
	return fm, true
}

// quotedEmails are the addresses of a body line as FreeMail.pm takes
// them: not inside a URL, not in <...>, not before "wrote:"-like words
// (fax:, tel:, phone:, e-mail: do not count).
func quotedEmails(line string) []string {
	line = urlWithAtRe.ReplaceAllString(line, " ")
	var out []string
	for _, loc := range emailRe.FindAllStringIndex(line, -1) {
		st, en := loc[0], loc[1]
		if st >= 7 && strings.EqualFold(line[st-7:st], "mailto:") {
			out = append(out, line[st:en])
			continue
		}
		rest := line[en:]
		if strings.HasPrefix(rest, ">") {
			continue
		}
		if m := wroteRe.FindStringSubmatch(rest); m != nil && !notWroteRe.MatchString(m[1]) {
			continue
		}
		out = append(out, line[st:en])
	}
	return out
}

var (
	urlWithAtRe = regexp.MustCompile(`(?i)<?https?://\S{0,255}(?:@|%40)\S{0,255}`)
	wroteRe     = regexp.MustCompile(`(?i)^\s{1,10}([a-z]{2,11}):`)
	notWroteRe  = regexp.MustCompile(`(?i)^(?:fa(?:x|csi)|tel|phone|e?-?mail)`)
)

func secondLevel(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	d := addr[i+1:]
	if parts := strings.Split(d, "."); len(parts) > 2 {
		d = strings.Join(parts[len(parts)-2:], ".")
	}
	return strings.ToLower(d)
}

var freemailEvals = map[string]evalFunc{
	"check_equal_from_domains": func(p *pms, r *Rule, a []string) int {
		from, env := p.get("From:addr").s, p.get("EnvelopeFrom:addr").s
		from, _, _ = strings.Cut(from, "\n")
		env, _, _ = strings.Cut(env, "\n")
		fd, ed := secondLevel(from), secondLevel(env)
		return btoi(fd != "" && ed != "" && fd != ed)
	},
	"check_freemail_from": func(p *pms, r *Rule, a []string) int {
		// FreeMail.pm: the addresses of all_from_addrs (so Resent-From
		// alone when there is one); addrs gives them lower case
		return btoi(p.anyFreemail(p.allFromAddrs(), a, 0))
	},
	"check_freemail_header": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		return btoi(p.anyFreemail(p.addrs(a[0]+":addr"), a, 1))
	},
	"check_freemail_body": func(p *pms, r *Rule, a []string) int {
		fm, ok := p.freemailBody()
		if !ok || len(fm) == 0 {
			return 0
		}
		re := optionalRegex(a, 0)
		for e := range fm {
			if re == nil || re.Match(e, "") {
				return 1
			}
		}
		return 0
	},
	"check_freemail_replyto": checkFreemailReplyto,
}

// anyFreemail reports whether one of addrs is freemail and matches the
// optional pattern a[i]; the pattern is compiled for the first freemail
// address only, as FreeMail.pm does.
func (p *pms) anyFreemail(addrs, a []string, i int) bool {
	var re *Regex
	compiled := false
	for _, e := range addrs {
		if !p.rs.isFreemail(e) {
			continue
		}
		if !compiled {
			re, compiled = optionalRegex(a, i), true
		}
		if re == nil || re.Match(e, "") {
			return true
		}
	}
	return false
}

// freemailBulkEnvFrom is FreeMail.pm's $skip_replyto_envfrom: an
// envelope sender of a list or bounce, for which check_freemail_replyto
// does not look (freemail_skip_bulk_envfrom, at its default 1).
var freemailBulkEnvFrom = mustRegex(`(?i)(?:^(?:post|host|domain)master|^double-bounce|^(?:sentto|owner|return|(?:gr)?bounced?)-.+|-(?:request|bounces?|admin|owner)|\b(?:do[._-t]?)?no[._-t]?repl(?:y|ies)|.+=.+)\@`)

func checkFreemailReplyto(p *pms, r *Rule, a []string) int {
	what := "replyto"
	if len(a) > 0 {
		what = a[0]
	}
	if env := p.first("EnvelopeFrom"); env != "" && freemailBulkEnvFrom.Match(env, "") {
		return 0
	}
	from, reply := p.addrs("From:addr"), p.addrs("Reply-To:addr")
	anyFM := func(l []string) bool {
		for _, e := range l {
			if p.rs.isFreemail(e) {
				return true
			}
		}
		return false
	}
	fromFM, replyFM := anyFM(from), anyFM(reply)
	notIn := true
	for _, f := range from {
		for _, x := range reply {
			if f == x {
				notIn = false
			}
		}
	}
	if fromFM && replyFM && notIn {
		return 1
	}
	switch what {
	case "replyto":
		if !replyFM {
			return 0
		}
	case "reply":
		if len(reply) > 0 && !replyFM || !fromFM {
			return 0
		}
	}
	fm, ok := p.freemailBody()
	if !ok || len(fm) == 0 {
		return 0
	}
	addrs := from
	if what == "replyto" || replyFM {
		addrs = reply
	}
	for b := range fm {
		for _, x := range addrs {
			if b != x {
				return 1
			}
		}
	}
	return 0
}
