package sarules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// ignoredDirectives are understood and deliberately without effect in
// mailwall: they configure plugins mailwall does not run (Bayes storage,
// DNS tuning, language guessing, ...) or only affect network tests.
var ignoredDirectives = map[string]bool{}

func init() {
	for _, d := range strings.Fields(`adsp_override asn_lookup bayes_ignore_header
	bayes_stopword_de bayes_stopword_dk bayes_stopword_en bayes_stopword_es bayes_stopword_fi
	bayes_stopword_fr bayes_stopword_gr bayes_stopword_hu bayes_stopword_it bayes_stopword_nl
	bayes_stopword_no bayes_stopword_pt bayes_stopword_ru bayes_stopword_se bayes_stopword_tr
	clear_originating_ip_headers clear_util_rb def_welcomelist_auth def_welcomelist_from_dkim
	def_welcomelist_from_spf def_whitelist_auth def_whitelist_from_dkim def_whitelist_from_spf
	dns_block_rule dns_local_ports_avoid fns_check
	fns_ignore_dkim fns_ignore_headers ok_languages
	originating_ip_headers require_version reuse test
	url_shortener url_shortener_get
	loadplugin tryplugin skip_rbl_checks dns_available use_razor2 use_pyzor use_dcc
	bayes_path bayes_file_mode lock_method use_auto_welcomelist use_auto_whitelist
	auto_welcomelist_factor dns_server envelope_sender_header score_set
	whitelist_auth welcomelist_auth def_whitelist_from_rcvd def_welcomelist_from_rcvd
	whitelist_from_dkim welcomelist_from_dkim whitelist_from_spf welcomelist_from_spf
	ok_languages bayes_min_ham_num bayes_min_spam_num bayes_sql_dsn bayes_store_module
	normalize_charset body_part_scan_size rawbody_part_scan_size rbl_timeout
	fold_headers report_charset uri_detail hashbl_acl_freemail hashbl_ignore
	dkim_timeout dmarc_save_reports spf_timeout check_rbl_txt`) {
		ignoredDirectives[d] = true
	}
}

// setting applies a non-rule directive; it reports whether key is known.
func (p *parser) setting(key, value string) bool {
	rs := p.rs
	switch key {
	case "score":
		f := strings.Fields(value)
		if len(f) < 2 {
			p.diag(Error, "score needs a rule name and 1 or 4 scores")
			return true
		}
		sc, ok := parseScores(f[1:])
		if !ok {
			p.diag(Error, "bad score %q", value)
			return true
		}
		rs.scoresPending[f[0]] = sc
	case "describe":
		name, text := cutWS(value)
		rs.describes[name] = strings.TrimSpace(text)
	case "tflags":
		name, text := cutWS(value)
		rs.tflags[name] = strings.TrimSpace(text)
	case "priority":
		f := strings.Fields(value)
		if len(f) != 2 {
			p.diag(Error, "priority needs a rule name and a number")
			return true
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			p.diag(Error, "bad priority %q", value)
			return true
		}
		rs.priorities[f[0]] = n
	case "ok_locales": // the faraway charset evals (eval_locales.go)
		rs.okLocales = &value
	case "lang":
		// "lang xx directive": only for users whose locale is xx; mailwall
		// reports in English, as spamassassin run with LANG=C.
	case "required_score", "required_hits":
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			p.diag(Error, "bad %s %q", key, value)
			return true
		}
		rs.RequiredScore = v
	case "use_bayes":
		rs.UseBayes = value == "1" || strings.EqualFold(value, "yes")
	case "report_safe":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 2 {
			p.diag(Error, "bad report_safe %q", value)
			return true
		}
		rs.ReportSafe = n
		p.reportHeader()
	default:
		return p.headerSetting(key, value) || p.listSetting(key, value) || p.namedListSetting(key, value) || p.netSetting(key, value)
	}
	return true
}

func (p *parser) headerSetting(key, value string) bool {
	rs := p.rs
	switch key {
	case "add_header":
		f := strings.SplitN(value, " ", 3)
		if len(f) < 3 || (f[0] != "spam" && f[0] != "ham" && f[0] != "all") {
			p.diag(Error, "add_header needs spam|ham|all NAME TEXT")
			return true
		}
		text := strings.TrimSpace(f[2])
		if len(text) >= 2 && text[0] == '"' && text[len(text)-1] == '"' {
			text = text[1 : len(text)-1]
		}
		for i, h := range rs.headers {
			if h.when == f[0] && strings.EqualFold(h.name, f[1]) {
				rs.headers[i].value = text
				return true
			}
		}
		rs.headers = append(rs.headers, addHeader{when: f[0], name: f[1], value: text})
	case "remove_header":
		f := strings.Fields(value)
		if len(f) == 2 {
			var keep []addHeader
			for _, h := range rs.headers {
				if !(strings.EqualFold(h.name, f[1]) && (f[0] == "all" || h.when == f[0])) {
					keep = append(keep, h)
				}
			}
			rs.headers = keep
		}
	case "clear_headers":
		rs.headers = nil
	case "rewrite_header":
		name, text := cutWS(value)
		text = strings.TrimSpace(text)
		switch strings.ToLower(name) {
		case "subject":
			rs.rewriteSubj = text
		case "from", "to":
			// QUIRK: SpamAssassin turns the tag's parentheses into
			// brackets: it becomes an RFC 5322 comment.
			text = strings.NewReplacer("(", "[", ")", "]").Replace(text)
			if strings.EqualFold(name, "from") {
				rs.rewriteFrom = text
			} else {
				rs.rewriteTo = text
			}
		default:
			p.diag(Error, "rewrite_header: %q is not From, Subject or To", name)
		}
	case "report":
		rs.reportTmpl = append(rs.reportTmpl, unquoteTemplate(value))
	case "clear_report_template":
		rs.reportTmpl = nil
	case "unsafe_report":
		rs.unsafeTmpl = append(rs.unsafeTmpl, unquoteTemplate(value))
	case "clear_unsafe_report_template":
		rs.unsafeTmpl = nil
	case "report_contact":
		rs.reportContact = strings.TrimSpace(value)
	case "report_hostname":
		rs.reportHostname = strings.TrimSpace(value)
	default:
		return p.autoLearnSetting(key, value)
	}
	return true
}

func (p *parser) listSetting(key, value string) bool {
	rs := p.rs
	lower := strings.Fields(strings.ToLower(value))
	switch key {
	case "welcomelist_from", "whitelist_from":
		rs.welcomeFrom = append(rs.welcomeFrom, lower...)
	case "blocklist_from", "blacklist_from":
		rs.blockFrom = append(rs.blockFrom, lower...)
	case "welcomelist_to", "whitelist_to", "more_spam_to", "all_spam_to":
		rs.welcomeTo = append(rs.welcomeTo, lower...)
	case "blocklist_to", "blacklist_to":
		rs.blockTo = append(rs.blockTo, lower...)
	case "unwelcomelist_from", "unwhitelist_from":
		rs.welcomeFrom = removeAll(rs.welcomeFrom, lower)
	case "unblocklist_from", "unblacklist_from":
		rs.blockFrom = removeAll(rs.blockFrom, lower)
	case "welcomelist_from_rcvd", "whitelist_from_rcvd":
		if len(lower) == 2 {
			rs.welcomeRcvd = append(rs.welcomeRcvd, [2]string{lower[0], lower[1]})
		}
	case "trusted_networks":
		rs.trusted = append(rs.trusted, lower...)
	case "internal_networks":
		rs.internal = append(rs.internal, lower...)
	case "clear_trusted_networks":
		rs.trusted = nil
	case "clear_internal_networks":
		rs.internal = nil
	case "msa_networks":
		rs.msa = append(rs.msa, lower...)
	case "clear_msa_networks":
		rs.msa = nil
	case "redirector_pattern":
		re, err := CompileRegex(value)
		if err != nil {
			p.diag(Error, "redirector_pattern: %v", err)
			return true
		}
		rs.redirectors = append(rs.redirectors, re)
	case "replace_tag", "replace_inter", "replace_pre", "replace_post":
		name, text, _ := strings.Cut(value, " ")
		if i := strings.IndexByte(name, '\t'); i >= 0 {
			name, text = name[:i], name[i+1:]+" "+text
		}
		m := map[string]map[string]string{"replace_tag": rs.replaceTags, "replace_inter": rs.replaceInter,
			"replace_pre": rs.replacePre, "replace_post": rs.replacePost}[key]
		m[name] = strings.TrimSpace(text)
	case "util_rb_2tld":
		for _, d := range lower {
			rs.tld2[d] = true
		}
	case "util_rb_3tld":
		for _, d := range lower {
			rs.tld3[d] = true
		}
	case "freemail_domains":
		for _, d := range lower {
			if strings.ContainsAny(d, "*?") {
				rs.freemailGlobs = append(rs.freemailGlobs, d)
			} else {
				rs.freemailDomains[d] = true
			}
		}
	case "replace_rules":
		for _, r := range strings.Fields(value) {
			rs.replaceRules[r] = true
		}
	default:
		return false
	}
	return true
}

func removeAll(list, drop []string) []string {
	var out []string
	for _, x := range list {
		keep := true
		for _, d := range drop {
			if x == d {
				keep = false
			}
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

// cutWS splits at the first run of blanks.
func cutWS(s string) (string, string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// namedListSetting applies the directives of named address and URI host
// lists (WLBLEval).
func (p *parser) namedListSetting(key, value string) bool {
	rs := p.rs
	switch key {
	case "welcomelist_subject", "whitelist_subject", "blocklist_subject", "blacklist_subject": // eval_subject.go
		l := rs.namedList(strings.NewReplacer("white", "welcome", "black", "block").Replace(key))
		*l = append(*l, lowerASCII(value))
	case "welcomelist_bounce_relays", "whitelist_bounce_relays": // VBounce (eval_vbounce.go)
		l := rs.namedList("welcomelist_bounce_relays")
		*l = append(*l, strings.Fields(strings.ToLower(value))...)
	case "enlist_addrlist", "delist_addrlist":
		m := addrlistRe.FindStringSubmatch(value)
		if m == nil {
			p.diag(Error, "%s: want (LISTNAME) address...", key)
			return true
		}
		addrs := strings.Fields(strings.ToLower(m[2]))
		if l := rs.namedList(m[1]); l != nil {
			if key == "enlist_addrlist" {
				*l = append(*l, addrs...)
			} else {
				*l = removeAll(*l, addrs)
			}
		}
	case "enlist_uri_host", "delist_uri_host":
		m := uriHostlistRe.FindStringSubmatch(value)
		if m == nil || key == "enlist_uri_host" && m[1] == "" {
			p.diag(Error, "%s: want (LISTNAME) host...", key)
			return true
		}
		if key == "enlist_uri_host" {
			rs.enlistURIHosts(m[1], m[2])
			return true
		}
		for name, l := range rs.uriHostLists {
			if m[1] == "" || m[1] == name {
				for _, h := range strings.Fields(strings.ToLower(m[2])) {
					delete(l, strings.TrimPrefix(h, "!"))
				}
			}
		}
	case "blocklist_uri_host", "blacklist_uri_host":
		rs.enlistURIHosts("BLOCK", value)
	case "welcomelist_uri_host", "whitelist_uri_host":
		rs.enlistURIHosts("WELCOME", value)
	default:
		return false
	}
	return true
}

var addrlistRe = regexp.MustCompile(`(?s)^\((.+?)\)\s+(.+)$`)

// namedList is the address list enlist_addrlist names: welcomelist_from,
// blocklist_from, welcomelist_to and blocklist_to are the lists of those
// directives, any other name a list of its own for check_*_in_list.
func (rs *Ruleset) namedList(name string) *[]string {
	switch name {
	case "welcomelist_from", "whitelist_from":
		return &rs.welcomeFrom
	case "blocklist_from", "blacklist_from":
		return &rs.blockFrom
	case "welcomelist_to", "whitelist_to":
		return &rs.welcomeTo
	case "blocklist_to", "blacklist_to":
		return &rs.blockTo
	}
	if rs.addrLists == nil {
		rs.addrLists = map[string]*[]string{}
	}
	l := rs.addrLists[name]
	if l == nil {
		l = new([]string)
		rs.addrLists[name] = l
	}
	return l
}

var uriHostlistRe = regexp.MustCompile(`(?s)^(?:\((.+?)\)\s+)?(.+)$`)

// enlistURIHosts adds hosts to URI host list name; "!host" is listed as
// an exception (a match that does not count).
func (rs *Ruleset) enlistURIHosts(name, hosts string) {
	if rs.uriHostLists == nil {
		rs.uriHostLists = map[string]map[string]bool{}
	}
	l := rs.uriHostLists[name]
	if l == nil {
		l = map[string]bool{}
		rs.uriHostLists[name] = l
	}
	for _, h := range strings.Fields(strings.ToLower(hosts)) {
		if rest, ok := strings.CutPrefix(h, "!"); ok {
			l[rest] = false
		} else {
			l[h] = true
		}
	}
}
