package sarules

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
)

// More evals: MIMEEval's check_base64_length and check_ma_non_text,
// BodyEval's check_blank_line_ratio and check_stock_info, HeaderEval's
// check_unresolved_template, check_ratware_name_id,
// check_ratware_envelope_from, check_for_fake_aol_relay_in_rcvd and
// check_for_forged_{eudoramail,gmail,juno}_received_headers, RelayEval's
// check_for_forged_received_trail.
var miscEvals = map[string]evalFunc{
	"check_base64_length": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		st := p.miscState()
		if !st.b64LenDone {
			st.b64Len, st.b64LenDone = base64LineMax(p.m), true
		}
		n := float64(st.b64Len)
		if len(a) > 1 && n > perlNum(a[1]) {
			return 0
		}
		return btoi(n >= perlNum(a[0]))
	},
	"check_ma_non_text":      func(p *pms, r *Rule, a []string) int { return btoi(maNonText(p.m)) },
	"check_blank_line_ratio": checkBlankLineRatio,
	"check_stock_info": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		st := p.miscState()
		if !st.stockDone {
			st.stock, st.stockDone = stockInfo(p.m), true
		}
		min := perlNum(a[0])
		return btoi(min == 0 || float64(st.stock) >= min)
	},
	"check_unresolved_template": func(p *pms, r *Rule, a []string) int {
		for _, line := range strings.Split(p.get("ALL").s, "\n") {
			if unresolvedTmplRe.MatchString(line) && !unresolvedTmplOKRe.MatchString(line) {
				return 1
			}
		}
		return 0
	},
	"check_ratware_name_id": func(p *pms, r *Rule, a []string) int {
		m := ratwareMIDRe.FindStringSubmatch(p.get("MESSAGEID").s)
		if m == nil {
			return 0
		}
		return btoi(ratwareFromMatch(p.get("From").s, m[1]))
	},
	"check_ratware_envelope_from": func(p *pms, r *Rule, a []string) int {
		to, from := p.first("To:addr"), p.first("EnvelopeFrom:addr")
		if from == "" || to == "" || srsRe.MatchString(from) {
			return 0
		}
		m := toUserDomRe.FindStringSubmatch(to)
		if m == nil {
			return 0
		}
		dom := p.rs.saTrimDomain(m[2])
		if !p.rs.saDomainValid(dom) {
			return 0
		}
		return btoi(ratwareEnvFromMatch(from, dom, m[1]))
	},
	"check_for_fake_aol_relay_in_rcvd": func(p *pms, r *Rule, a []string) int {
		rcvd := perlSpaceRunRe.ReplaceAllString(p.get("Received").s, " ")
		if !aolRelayRe.MatchString(rcvd) {
			return 0
		}
		return btoi(!aolViaRe.MatchString(rcvd) && !aolIDRe.MatchString(rcvd))
	},
	"check_for_forged_eudoramail_received_headers": func(p *pms, r *Rule, a []string) int {
		if !eudoraFromRe.MatchString(p.first("From:addr")) {
			return 0
		}
		rcvd := perlSpaceRunRe.ReplaceAllString(p.get("Received").s, " ")
		xip := p.get("X-Sender-Ip")
		ip := xip.ok && ipAddressRe().Match(xip.s, "")
		if gatedThroughRcvdRemover(p) {
			return 0
		}
		return btoi(!(whowhereRe.MatchString(rcvd) && ip))
	},
	"check_for_forged_gmail_received_headers": func(p *pms, r *Rule, a []string) int {
		if !gmailFromRe.MatchString(p.first("From:addr")) {
			return 0
		}
		xgms, xss := p.get("X-Gm-Message-State").s, p.get("X-Google-Smtp-Source").s
		xrcvd := p.get("X-Received").s
		if gmailXRcvd10Re.MatchString(xrcvd) || gmailXRcvd2002Re.MatchString(xrcvd) ||
			gmailRcvdRe.MatchString(p.get("Received").s) {
			return 0
		}
		return btoi(len(xgms) < 60 || len(xss) < 60)
	},
	"check_for_forged_juno_received_headers": func(p *pms, r *Rule, a []string) int {
		if !junoFromRe.MatchString(p.first("From:addr")) || gatedThroughRcvdRemover(p) {
			return 0
		}
		xorig, xmailer, rcvd := p.get("X-Originating-IP").s, p.get("X-Mailer").s, p.get("Received").s
		if xorig != "" {
			if !junoRcvdRe().Match(rcvd, "") && !junoCookieRe.MatchString(rcvd) {
				return 1
			}
			return btoi(!strings.Contains(xmailer, "Juno "))
		}
		switch {
		case junoMailComRe().Match(rcvd, ""):
			if !junoMailComXMRe.MatchString(xmailer) {
				return 1
			}
		case junoWebmailRe().Match(rcvd, ""):
			if !junoWebmailXMRe.MatchString(xmailer) {
				return 1
			}
		default:
			return 1
		}
		// (xorig is empty here: no IP address in it)
		return btoi(!ipAddressRe().Match(xorig, ""))
	},
	"check_for_forged_received_trail": func(p *pms, r *Rule, a []string) int {
		return btoi(forgedReceivedTrail(p.relays().untrusted) > 1)
	},
}

var (
	unresolvedTmplRe   = regexp.MustCompile(`%[A-Z][A-Z_-]`)
	unresolvedTmplOKRe = regexp.MustCompile(`(?i)^(?:X-VMS-To|X-UIDL|X-Face|To|Cc|From|Subject|References|In-Reply-To|(?:X-|Resent-|X-Original-)?Message-Id):`)
	// (the lazy [^>]+? before > takes the same text as [^>]+)
	ratwareMIDRe = regexp.MustCompile(`<[A-Z]{28}\.([^>]+)>`)
	srsRe        = regexp.MustCompile(`(?i)^SRS\d[=+-]`)
	// /^([^@]+)\@(.+)$/: $ before a final newline too
	toUserDomRe    = regexp.MustCompile(`^([^@]+)@(.+?)\n?$`)
	perlSpaceRunRe = regexp.MustCompile(`[\t\n\v\f\r ]+`)
	aolRelayRe     = regexp.MustCompile(`(?i) rly-[a-z][a-z]\d\d\.`)
	aolViaRe       = regexp.MustCompile(`/AOL-\d+\.\d+\.\d+\)`)
	aolIDRe        = regexp.MustCompile(`ESMTP id (?:RELAY|MAILRELAY|MAILIN)`)
	eudoraFromRe   = regexp.MustCompile(`(?i)\beudoramail\.com\n?$`)
	whowhereRe     = regexp.MustCompile(`by \S*whowhere.com;`)
	gmailFromRe    = regexp.MustCompile(`(?i)\bgmail\.com\n?$`)
	// (\S is Perl's: not [\t\n\v\f\r ])
	gmailXRcvd10Re   = regexp.MustCompile(`by 10\.[^\t\n\v\f\r ]+ with SMTP id [^\t\n\v\f\r ]+`)
	gmailXRcvd2002Re = regexp.MustCompile(`by 2002:a\d\d:\w+:[^\t\n\v\f\r ]+ with SMTP id [^\t\n\v\f\r ]+`)
	gmailRcvdRe      = regexp.MustCompile(`by smtp\.googlemail\.com with ESMTPSA id [^\t\n\v\f\r ]+`)
	junoFromRe       = regexp.MustCompile(`(?i)\bjuno\.com\n?$`)
	ipAddressRe      = lazyPerlPattern(ipAddressPerl, "")
	junoRcvdRe       = lazyPerlPattern(`from.*\b(?:juno|untd)\.com.*[\[\(]`+ipAddressPerl+`[\]\)].*by`, "")
	junoCookieRe     = regexp.MustCompile(` cookie\.(?:juno|untd)\.com `)
	junoMailComRe    = lazyPerlPattern(`from.*\bmail\.com.*\[`+ipAddressPerl+`\].*by`, "")
	junoMailComXMRe  = regexp.MustCompile(`\bmail\.com`)
	junoWebmailRe    = lazyPerlPattern(`from (webmail\S+\.untd\.com) \(\1 \[`+ipAddressPerl+`\]\) by`, "")
	junoWebmailXMRe  = regexp.MustCompile(`^Webmail Version \d`)
)

// lazyPerlPattern compiles a Perl pattern the package needs on first
// use: a package variable cannot hold it compiled, as the classes \d, \s
// and \w are only filled in by an init function (regex_escape.go), which
// runs after every package variable is initialized.
func lazyPerlPattern(pat, flags string) func() *Regex {
	return sync.OnceValue(func() *Regex {
		re, err := compilePattern("/"+pat+"/"+flags, pat, flags)
		if err != nil {
			panic(err)
		}
		return re
	})
}

// ratwareFromMatch is /\"[^\"]+\"\s*<\Q$id\E>/ on the From header.
func ratwareFromMatch(from, id string) bool {
	want := "<" + id + ">"
	for i := 0; i < len(from); i++ {
		if from[i] != '"' {
			continue
		}
		j := strings.IndexByte(from[i+1:], '"')
		if j <= 0 {
			continue // [^"]+ needs a byte
		}
		k := i + 1 + j + 1
		for k < len(from) && isSpaceByte(from[k]) {
			k++
		}
		if strings.HasPrefix(from[k:], want) {
			return true
		}
	}
	return false
}

// ratwareEnvFromMatch is /\b\Q$dom\E.\Q$user\E@/i on the envelope
// sender: the To domain, any byte but a newline, the To user, "@".
func ratwareEnvFromMatch(from, dom, user string) bool {
	for i := 0; i+len(dom)+1+len(user) < len(from); i++ {
		if !atWordBoundary(from, i) || !foldAt(from, i, dom) {
			continue
		}
		j := i + len(dom)
		if from[j] != '\n' && foldAt(from, j+1, user) && from[j+1+len(user)] == '@' {
			return true
		}
	}
	return false
}

// base64LineMax is MIMEEval's _check_base64_length: the longest raw line
// (newline included) of the base64 leaves other than application/ics.
// A leaf directly under a multipart has its lines as _parse_multipart
// stored them: cut every 2048 bytes (each piece 2048 bytes and a
// newline), the last one without its newline; the body of a message
// (the top one, or a message/rfc822 part) has them as they are.
func base64LineMax(m *Message) int {
	result := 0
	var parents []*Part // parents[d]: the last node at depth d
	for _, n := range m.nodes {
		parents = parents[:min(n.depth, len(parents))]
		// a leaf directly under a multipart has its lines cut
		split := n.depth > 0 && len(parents) == n.depth && strings.HasPrefix(parents[n.depth-1].MediaType, "multipart/")
		parents = append(parents, n)
		if !n.leaf {
			continue
		}
		ct, _ := lastHeaderValue(n.Header, "content-type")
		if saMediaType(ct) == "application/ics" {
			continue
		}
		cte, _ := lastHeaderValue(n.Header, "content-transfer-encoding")
		if lowerASCII(cte) != "base64" {
			continue
		}
		for raw := n.Raw; len(raw) > 0; {
			l, nl := len(raw), true
			if i := indexByte(raw, '\n'); i >= 0 {
				l = i + 1
			} else {
				nl = false
			}
			raw = raw[l:]
			switch {
			case !split:
			case nl && l > maxBodyLine, !nl && l+1 > maxBodyLine:
				// (a last line had a newline before the boundary)
				l = maxBodyLine + 1
			}
			result = max(result, l)
		}
	}
	return result
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// maNonText is MIMEEval's check_ma_non_text: a multipart/alternative
// with a leaf directly under it that is not text/*, application/rtf or
// multipart/related.
func maNonText(m *Message) bool {
	for i, ma := range m.nodes {
		if ma.leaf {
			continue
		}
		ct, _ := lastHeaderValue(ma.Header, "content-type")
		if saMediaType(ct) != "multipart/alternative" {
			continue
		}
		for _, c := range m.nodes[i+1:] {
			if c.depth <= ma.depth {
				break
			}
			if c.depth != ma.depth+1 || !c.leaf {
				continue
			}
			ct, _ := lastHeaderValue(c.Header, "content-type")
			t := saMediaType(ct)
			// a multipart under a multipart is one in SpamAssassin
			// (with its parent's boundary if it names none), and a
			// message/rfc822 with a body is parsed as a message
			if strings.HasPrefix(t, "multipart/") ||
				(t == "message/rfc822" || t == "message/global") && len(c.Decoded) > 0 {
				continue
			}
			if t == "application/rtf" || strings.HasPrefix(t, "text/") {
				continue
			}
			return true
		}
	}
	return false
}

// checkBlankLineRatio is BodyEval's check_blank_line_ratio(min, max,
// minlines): the percentage of blank lines in the decoded text parts
// (-1 when they have fewer than minlines lines) in (min, max], or in
// [0, max] when min is 0.
func checkBlankLineRatio(p *pms, r *Rule, a []string) int {
	if len(a) < 2 {
		return 0
	}
	minLines := 1
	if len(a) > 2 && perlNum(a[2]) >= 1 {
		minLines = int(perlNum(a[2]))
	}
	st := p.miscState()
	if st.blank == nil {
		st.blank = map[int]float64{}
	}
	ratio, ok := st.blank[minLines]
	if !ok {
		rawbody := p.m.rawbody
		if sq, changed := squashBlankRuns(p.m.Raw); changed {
			rawbody = NewMessage(sq).rawbody
		}
		nlines, blank := 0, 0
		for _, chunk := range rawbody {
			// split(/^/m, $chunk, -1)
			for len(chunk) > 0 {
				line := chunk
				if i := strings.IndexByte(chunk, '\n'); i >= 0 {
					line = chunk[:i+1]
				}
				chunk = chunk[len(line):]
				nlines++
				if strings.Trim(line, " \t\n\v\f\r") == "" {
					blank++
				}
			}
		}
		ratio = -1
		if nlines >= minLines {
			ratio = 100 * float64(blank) / float64(nlines)
		}
		st.blank[minLines] = ratio
	}
	min, max := perlNum(a[0]), perlNum(a[1])
	return btoi(min == 0 && ratio <= max || ratio > min && ratio <= max)
}

// maxBlankLines is Message.pm's $max_blank_lines.
const maxBlankLines = 20

// squashBlankRuns is what Mail::SpamAssassin::Message does to a body
// before it parses it: a run of more than 20 blank (white space only)
// lines keeps 20 of them (21 at the very start: QUIRK). mailwall's
// Message keeps them all; check_blank_line_ratio, which counts them,
// reads the decoded text parts of the message squashed (changed false:
// no run was that long).
func squashBlankRuns(raw []byte) ([]byte, bool) {
	_, body, _ := splitHeader(raw)
	lines := bytes.SplitAfter(body, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	blankLine := func(l []byte) bool { return len(bytes.Trim(l, " \t\n\v\f\r")) == 0 }
	changed := false
	start := -1
	for cnt := len(lines) - 1; cnt >= 0; cnt-- {
		if blankLine(lines[cnt]) {
			if start < 0 {
				start = cnt
			}
			if cnt != 0 {
				continue
			}
		}
		if start >= 0 {
			if num := start - cnt; num > maxBlankLines {
				lines = append(lines[:cnt+2], lines[cnt+2+num-maxBlankLines:]...)
				changed = true
			}
			start = -1
		}
	}
	if !changed {
		return raw, false
	}
	out := append([]byte(nil), raw[:len(raw)-len(body)]...)
	return append(out, bytes.Join(lines, nil)...), true
}

var (
	// /^\s*([^:\s][^:\n]{2,29})\s*:\s*\S/mg on characters (\s is
	// Unicode's)
	stockLineRe = regexp.MustCompile(`(?m)^` + uniSpace + `*([^:` + uniSpaceChars + `][^:\n]{2,29})` + uniSpace + `*:` + uniSpace + `*[^` + uniSpaceChars + `]`)
	stockKeyRe  = regexp.MustCompile(`^(trad(?:e|ing)date|company(?:name)?|s\w?(?:t\w?o\w?c\w?k|y\w?m(?:\w?b\w?o\w?l)?)|t(?:arget|icker)|(?:opening|current)p(?:rice)?|p(?:rojected|osition)|expectations|weeks?high|marketperformance|(?:year|week|month|day|price)(?:target|estimates?)|sector|r(?:ecommendation|ating))$`)
)

// uniSpaceChars are the characters of Perl's \s on characters.
const (
	uniSpaceChars = `\t\n\v\f\r \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`
	uniSpace      = `[` + uniSpaceChars + `]`
)

// stockInfo is BodyEval's _check_stock_info: how many distinct stock
// words ("ticker", "symbol", "target price", ...) start a "Label: value"
// line of the first text/plain part, rendered (in characters).
func stockInfo(m *Message) int {
	var part *Part
	for _, n := range m.nodes {
		ct, _ := lastHeaderValue(n.Header, "content-type")
		if n.leaf && saMediaType(ct) == "text/plain" {
			part = n
			break
		}
	}
	if part == nil {
		return 0
	}
	text := part.text()
	if effectiveHTMLNameRe.MatchString(partName(part.Header)) {
		// effective_type: a text/plain named *.html renders as HTML
		if text == "" {
			return 0
		}
		text = renderHTML([]byte(text)).String()
	}
	hits := map[string]bool{}
	for _, chunk := range splitShortParagraphsChars(text) {
		for _, sm := range stockLineRe.FindAllStringSubmatch(chunk, -1) {
			s := strings.Map(func(r rune) rune {
				r = toLowerPerl(r)
				if r >= 'a' && r <= 'z' {
					return r
				}
				return -1
			}, sm[1])
			if k := stockKeyRe.FindStringSubmatch(s); k != nil {
				hits[k[1]] = true
			}
		}
	}
	return len(hits)
}

var effectiveHTMLNameRe = regexp.MustCompile(`(?i)\.s?html?$`)

// toLowerPerl is lc on one character, for the characters whose lower
// case is an ASCII letter (tr/a-z//cd keeps nothing else).
func toLowerPerl(r rune) rune {
	switch {
	case r >= 'A' && r <= 'Z':
		return r + 'a' - 'A'
	case r == 0x212A: // KELVIN SIGN
		return 'k'
	case r == 0x0130: // I WITH DOT ABOVE: "i" and a combining dot
		return 'i'
	}
	return r
}

// splitShortParagraphsChars is split_into_array_of_short_paragraphs on a
// character string (offsets in characters).
func splitShortParagraphsChars(t string) []string {
	r := []rune(t)
	if len(r) <= maxBodyLine {
		return []string{t}
	}
	var out []string
	ofs := 0
	index := func(c rune, from int) int {
		for i := from; i < len(r); i++ {
			if r[i] == c {
				return i
			}
		}
		return -1
	}
	for len(r)-ofs > 2*maxBodyLine {
		j := -1
		for _, sep := range []rune{'\n', '>', ' '} {
			if k := index(sep, ofs+maxBodyLine); k >= 0 && k-ofs+1 <= 2*maxBodyLine {
				j = k
				break
			}
		}
		if j < 0 {
			j = ofs + maxBodyLine
		}
		out = append(out, string(r[ofs:j+1]))
		ofs = j + 1
	}
	if ofs < len(r) {
		out = append(out, string(r[ofs:]))
	}
	return out
}

var relayDomainRe = regexp.MustCompile(`^\w+(?:[\w.-]+\.)+\w+\n?$`)

// forgedReceivedTrail is RelayEval's mismatch_from count: untrusted relays
// whose "by" host's domain is not the "from" host's (rDNS) domain of the
// relay after them (the one that handed the message on).
func forgedReceivedTrail(untrusted []*relay) int {
	n := len(untrusted)
	from, by := make([]*string, n), make([]string, n)
	for i, rl := range untrusted {
		f := hostnameToDomain(lowerASCII(rl.rdns))
		from[i] = &f
		by[i] = hostnameToDomain(lowerASCII(rl.by))
	}
	mismatch := 0
	for i := 0; i < n; i++ {
		if !relayDomainRe.MatchString(by[i]) {
			continue
		}
		if localhostRe.MatchString(*from[i]) && untrusted[i].ip == "127.0.0.1" {
			from[i] = nil
		}
		if i > 0 && from[i-1] != nil {
			prev := *from[i-1]
			if relayDomainRe.MatchString(prev) && by[i] != prev && !(by[i] == "msn.com" && prev == "hotmail.com") {
				mismatch++
			}
		}
	}
	return mismatch
}

var (
	localhostRe     = regexp.MustCompile(`^localhost(?:\.localdomain)?\n?$`)
	hostLetterRe    = regexp.MustCompile(`[a-zA-Z]`)
	hostLastLabelRe = regexp.MustCompile(`(?:[^\t\n\v\f\r ]{3,}|ie|fr|de)`)
)

// hostnameToDomain is RelayEval's hostname_to_domain: an IP address as it
// is, else the last two labels (when the last has 3 or more bytes or
// holds ie, fr or de), else the last three.
func hostnameToDomain(h string) string {
	if !hostLetterRe.MatchString(h) {
		return h
	}
	parts := strings.Split(h, ".")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1] // split drops trailing empty fields
	}
	switch {
	case len(parts) > 1 && hostLastLabelRe.MatchString(parts[len(parts)-1]):
		return strings.Join(parts[len(parts)-2:], ".")
	case len(parts) > 2:
		return strings.Join(parts[len(parts)-3:], ".")
	}
	return h
}

// usStates are RegistryBoundaries' US_STATES.
var usStates = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`ak al ar az ca co ct dc de fl ga gu hi ia id il in ks ky la ma md me mi
		mn mo ms mt nc nd ne nh nj nm nv ny oh ok or pa pr ri sc sd tn tx ut va vi vt wa wi wv wy`) {
		usStates[s] = true
	}
}

// saIDNToASCII is Util::idn_to_ascii as the reference SpamAssassin runs
// it, without Net::LibIDN(2) installed: lower case (ASCII letters),
// nothing converted.
func saIDNToASCII(s string) string { return lowerASCII(s) }

// saTrimDomain is RegistryBoundaries' trim_domain: the domain part of a
// host name by the util_rb_2tld and util_rb_3tld lists and the US state
// rules.
func (rs *Ruleset) saTrimDomain(domain string) string {
	domain = saIDNToASCII(domain)
	if domain == "" {
		return ""
	}
	for strings.Contains(domain, "..") {
		domain = strings.ReplaceAll(domain, "..", ".") // tr/././s
	}
	domain = strings.Trim(domain, ".")
	parts := strings.Split(domain, ".")
	if domain == "" {
		parts = nil
	}
	var host []string
	for len(parts) > 1 {
		switch len(parts) {
		case 2:
			if rs.tld2[parts[0]+"."+parts[1]] {
				goto done
			}
		case 3:
			if parts[2] == "us" {
				if usStates[parts[1]] {
					goto done
				}
			} else if rs.tld3[strings.Join(parts, ".")] {
				goto done
			}
		case 4:
			if parts[3] == "us" && (parts[0] == "pvt" && parts[1] == "k12" || parts[0] == "ci" || parts[0] == "co") {
				if usStates[parts[2]] {
					goto done
				}
			}
		}
		host = append(host, parts[0])
		parts = parts[1:]
	}
done:
	if len(host) > 0 {
		parts = append([]string{host[len(host)-1]}, parts...)
	}
	return strings.Join(parts, ".")
}

// saDomainValid is RegistryBoundaries' is_domain_valid: no blank, and a
// last label (after a dot) in util_rb_tld.
func (rs *Ruleset) saDomainValid(dom string) bool {
	dom = saIDNToASCII(dom)
	if strings.ContainsAny(dom, " \t\n\v\f\r") {
		return false
	}
	i := strings.LastIndexByte(dom, '.')
	if i < 0 || i == len(dom)-1 {
		return false
	}
	return rs.net.tld[dom[i+1:]]
}
