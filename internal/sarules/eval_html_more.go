package sarules

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// HTML and URI evals: HTMLEval's html_title_subject_ratio and
// check_iframe_src, URIEval's check_https_ip_mismatch and
// check_uri_truncated, HTTPSMismatch's check_https_http_mismatch.

// htmlExtra is what these evals need of one HTML part beyond htmlDoc's
// own fields, collected as it is parsed (html.go).
type htmlExtra struct {
	titles []string // each <title>'s text (HTML.pm's title)
	// hrefs are the <a> tags' href values ("" for none), in step with
	// htmlDoc.anchors (their text); hasHref says which had one
	hrefs     []string
	hasHref   []bool
	iframeSrc bool // an <iframe> with a non-blank src
}

func (x *htmlExtra) startTag(name string, attrs map[string]string) {
	switch name {
	case "title":
		x.titles = append(x.titles, "")
	case "a":
		h, ok := attrs["href"]
		x.hrefs = append(x.hrefs, h)
		x.hasHref = append(x.hasHref, ok)
	case "iframe":
		if src, ok := attrs["src"]; ok && htmlCanonURI(src) != "" {
			x.iframeSrc = true
		}
	}
}

func (x *htmlExtra) text(d *htmlDoc, t string) {
	if d.inside["title"] > 0 && len(x.titles) > 0 {
		x.titles[len(x.titles)-1] += t
	}
}

// htmlCanonURI is HTML.pm's canon_uri: without leading and trailing
// white space (and no-break spaces), cut to MAX_URI_LENGTH.
func htmlCanonURI(u string) string {
	u = trimHTMLSpace(u)
	if len(u) > maxURILength {
		u = u[:maxURILength]
	}
	return u
}

// trimHTMLSpace strips [\s\xA0]+ from both ends (the no-break space as
// UTF-8, as the text is characters in SpamAssassin).
func trimHTMLSpace(u string) string {
	for {
		n := len(u)
		u = strings.Trim(u, " \t\n\v\f\r")
		u = strings.TrimPrefix(strings.TrimSuffix(u, "\u00a0"), "\u00a0")
		if len(u) == n {
			return u
		}
	}
}

// htmlParts are the parsed HTML parts (SpamAssassin's html_all).
func (m *Message) htmlParts() []*htmlDoc {
	var out []*htmlDoc
	for _, p := range m.Parts {
		if p.html != nil {
			out = append(out, p.html)
		}
	}
	return out
}

// anchorTexts is HTML.pm's uri detail of the links: each <a>'s canon
// href, with the text of every <a> so linked, in order.
func (d *htmlDoc) anchorTexts() (keys []string, texts map[string][]string) {
	texts = map[string][]string{}
	for i, h := range d.x.hrefs {
		if i >= len(d.anchors) {
			break
		}
		k := ""
		if d.x.hasHref[i] {
			k = htmlCanonURI(h)
		}
		if _, ok := texts[k]; !ok {
			keys = append(keys, k)
		}
		texts[k] = append(texts[k], d.anchors[i])
	}
	return keys, texts
}

var (
	httpsIPKeyRe    = regexp.MustCompile(`(?i)^https?:/*(?:[^@/]+@)?\d+\.\d+\.\d+\.\d+`)
	httpsIPAnchorRe = regexp.MustCompile(`(?i)^https:/*(?:[^@/]+@)?\d+\.\d+\.\d+\.\d+`)
	httpsAnyRe      = regexp.MustCompile(`(?i)https:`)
	httpHostRe      = regexp.MustCompile(`(?i)^https?://([^/:?#]+)`)
	httpsAnchorRe   = regexp.MustCompile(`(?i)https://([^\t\n\v\f\r /:?#]+)`)
	// IS_IP_ADDRESS
	isIPAddressRe = lazyPerlPattern(`^`+ipAddressPerl+`$`, "")
)

var htmlMoreEvals = map[string]evalFunc{
	"html_title_subject_ratio": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		subject := p.get("Subject").s
		if subject == "" {
			return 0
		}
		ratio := perlNum(a[0])
		for _, part := range p.m.Parts {
			if part.html == nil {
				continue
			}
			// the titles are characters (HTML.pm's results are not
			// encoded), the Subject octets
			max := 0.0
			for _, t := range titlesInChars(part) {
				if t != "" && t != "0" {
					max = maxf(max, float64(utf8.RuneCountInString(t))/float64(len(subject)))
				}
			}
			if max > ratio {
				return 1
			}
		}
		return 0
	},
	"check_iframe_src": func(p *pms, r *Rule, a []string) int {
		for _, d := range p.m.htmlParts() {
			if d.x.iframeSrc {
				return 1
			}
		}
		return 0
	},
	"check_https_ip_mismatch": func(p *pms, r *Rule, a []string) int {
		for _, d := range p.m.htmlParts() {
			keys, texts := d.anchorTexts()
			for _, k := range keys {
				if !httpsIPKeyRe.MatchString(k) {
					continue
				}
				for _, t := range texts[k] {
					if !httpsIPAnchorRe.MatchString(t) && httpsAnyRe.MatchString(t) {
						return 1
					}
				}
			}
		}
		return 0
	},
	"check_https_http_mismatch": func(p *pms, r *Rule, a []string) int {
		minAnchors := 0.0
		if len(a) > 0 {
			minAnchors = perlNum(a[0])
		}
		if minAnchors == 0 {
			minAnchors = 1 // $minanchors ||= 1
		}
		maxAnchors := optArg(a, 1)
		for _, d := range p.m.htmlParts() {
			hit, anchors := p.rs.httpsHTTPMismatch(d)
			if hit && float64(anchors) >= minAnchors && (maxAnchors == nil || float64(anchors) < *maxAnchors) {
				return 1
			}
		}
		return 0
	},
	"check_uri_truncated": func(p *pms, r *Rule, a []string) int {
		return btoi(uriTruncated(p))
	},
}

func maxf(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

// titlesInChars are the part's titles as HTML.pm has them, parsed from
// the HTML decoded from its charset (as Part.rendered parses it).
func titlesInChars(t *Part) []string { return t.html.x.titles }

// httpsHTTPMismatch is HTTPSMismatch's walk over one HTML part: whether
// a link to an http(s) host has text naming another https:// domain,
// and how many links to a host with a valid domain it has.
func (rs *Ruleset) httpsHTTPMismatch(d *htmlDoc) (hit bool, anchors int) {
	keys, texts := d.anchorTexts()
	for _, k := range keys {
		m := httpHostRe.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		host := m[1]
		if isIPAddressRe().Match(host, "") {
			continue
		}
		uri := rs.saTrimDomain(host)
		if dom, ok := rs.uriToDomain(uri); !ok || !rs.saDomainValid(dom) {
			continue
		}
		if uri == "" || uri == "0" {
			continue
		}
		anchors++
		for _, t := range texts[k] {
			hm := httpsAnchorRe.FindStringSubmatch(t)
			if hm == nil {
				continue
			}
			https := hm[1]
			if !isIPAddressRe().Match(https, "") {
				https = rs.saTrimDomain(https)
				if !rs.saDomainValid(https) {
					continue
				}
			}
			if https == "" || https == "0" || https == uri {
				continue
			}
			hit = true
			break
		}
	}
	return hit, anchors
}

var (
	uriSchemeDropRe = regexp.MustCompile(`^[a-z]+:/{0,2}`)
	uriUserDropRe   = regexp.MustCompile(`^[^/]*@`)
	uriPortDropRe   = regexp.MustCompile(`:\d*$`)
	uriPctRe        = regexp.MustCompile(`%(?:2[1-9a-f]|[3-6][0-9a-f]|7[0-9a-e])`)
	fqdnLabelRe     = regexp.MustCompile(`^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$`)
)

// uriToDomain is RegistryBoundaries' uri_to_domain: the registrable
// domain of a URI's host (an IP address as it is); false when it has
// none.
func (rs *Ruleset) uriToDomain(uri string) (string, bool) {
	uri = lowerASCII(uri)
	if strings.HasPrefix(uri, "javascript:") || strings.HasPrefix(uri, "cid:") || strings.HasPrefix(uri, "file:") {
		return "", false
	}
	if rest, ok := strings.CutPrefix(uri, "mailto:"); ok {
		uri = rest
		if i := strings.IndexByte(uri, '?'); i >= 0 {
			uri = uri[:i]
		}
		i := strings.IndexByte(uri, '@')
		if i < 0 || strings.IndexByte(uri[i+1:], '@') >= 0 {
			return "", false
		}
		uri = uri[strings.LastIndexByte(uri, '@')+1:]
	} else {
		uri = uriSchemeDropRe.ReplaceAllString(uri, "")
		if i := strings.IndexAny(uri, "/?#"); i >= 0 {
			uri = uri[:i]
		}
		uri = uriUserDropRe.ReplaceAllString(uri, "")
		uri = uriPortDropRe.ReplaceAllString(uri, "")
	}
	if uriPctRe.MatchString(uri) {
		return "", false
	}
	host := saIDNToASCII(uri)
	if isIPAddressRe().Match(host, "") {
		return host, true
	}
	if !saFQDNValid(host) || !rs.saDomainValid(host) {
		return "", false
	}
	return rs.saTrimDomain(host), true
}

// saFQDNValid is Util::is_fqdn_valid on an ASCII host: at most 253
// bytes without the final dots, two labels or more, each of 1 to 63
// letters, digits, '-' inside and '_' (not in the last two).
func saFQDNValid(host string) bool {
	host = strings.TrimRight(lowerASCII(host), ".")
	if len(host) > 253 {
		return false
	}
	labels := strings.Split(host, ".")
	for len(labels) > 0 && labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
	}
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if len(l) < 1 || len(l) > 63 || !fqdnLabelRe.MatchString(l) {
			return false
		}
		if i >= len(labels)-2 && strings.IndexByte(l, '_') >= 0 {
			return false
		}
	}
	return true
}

// uriTruncated is SpamAssassin's uri_truncated: an HTML link longer than
// MAX_URI_LENGTH, or a URI with a canonical form longer.
func uriTruncated(p *pms) bool {
	for _, d := range p.m.htmlParts() {
		for _, u := range d.uris {
			if len(trimHTMLSpace(u)) > maxURILength {
				return true
			}
		}
	}
	for _, u := range p.rawURIs {
		// a canonical form adds a few bytes at most (a scheme, "www."
		// and ".com" to a bare word)
		if len(u) > maxURILength-64 && canonFormTooLong(u, p.rs.redirectors) {
			return true
		}
	}
	return false
}

// canonFormTooLong runs canonURIs' walk for one URI and reports whether
// a form it adds is longer than MAX_URI_LENGTH.
func canonFormTooLong(u string, redirectors []*Regex) bool {
	long := false
	canonWalk([]string{u}, redirectors, func(s string) {
		if len(s) > maxURILength {
			long = true
		}
	})
	return long
}
