package sarules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// # URI canonicalization
//
// uri rules see every URI of a message together with the forms
// SpamAssassin derives from it (Util::uri_list_canonicalize): "http:\\"
// and "http:/" made "http://", harmless %-escapes decoded, a missing scheme
// added, the host without its user part, without trailing punctuation,
// with a default port dropped, as an IDN in ASCII; numeric hosts (decimal,
// hex, octal, one number) as dotted quads; a bare word host as
// www.WORD.com; mailto: addresses without their query; and the targets of
// redirectors (redirector_pattern, or an http URL inside the query), which
// are canonicalized in turn.

// maxURILength is MAX_URI_LENGTH: longer URIs are cut.
const maxURILength = 8192

// maxURIsCanon bounds the URIs (with redirector targets) one message's
// list may grow to.
const maxURIsCanon = 2000

var (
	uriHTTPSlashesRe = regexp.MustCompile(`(?i)^(https?:)/{0,2}`)
	uriSchemeRe      = regexp.MustCompile(`(?i)^[-_a-z0-9]+:`)
	uriQueryNoPathRe = regexp.MustCompile(`(?i)^(https?://[^/?#]+)([?#])`)
	uriEntityDecRe   = regexp.MustCompile(`&#0*(3[3-9]|[4-9]\d|1[01]\d|12[0-6]);`)
	uriEntityHexRe   = regexp.MustCompile(`&#x0*(2[1-9]|[3-6][a-fA-F0-9]|7[0-9a-eA-E]);`)
	uriEntityDotRe   = regexp.MustCompile(`(?i)&#(?:x2e|12290|x3002|65294|xff0e|65377|xff61);`)
	uriPartsRe       = regexp.MustCompile(`(?i)^(https?://)([^@/?#]*@)?([^/?#:]+)((?::(\d*))?.*)$`)
	uriPercentRe     = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
	uriInnerHTTPRe   = regexp.MustCompile(`(?i)(https?:/{0,2}[^&#]+)`)
	uriFourPartsRe   = regexp.MustCompile(`(?i)^((?:0x[0-9a-f]+|\d+)\.)((?:0x[0-9a-f]+|\d+)\.)((?:0x[0-9a-f]+|\d+)\.)(0x[0-9a-f]+|\d+)$`)
	uriOctetOctalRe  = regexp.MustCompile(`^0+([1-3][0-7]{0,2}|[4-7][0-7]?)\b`)
	uriHexHostRe     = regexp.MustCompile(`(?i)^0x[0-9a-f]*?([0-9a-f]{1,8})$`)
	uriBareWordRe    = regexp.MustCompile(`^(?:www\.)?([^.]+)$`)
	mailtoQueryRe    = regexp.MustCompile(`^([^@]+@[^?]+)\?`)
	mailtoAmpRe      = regexp.MustCompile(`^([^@]+@[^?&]+)&`)
	mailtoSpaceRe    = regexp.MustCompile(`^(?:mailto:)?(?:%20)*([^@]+@[^?&%]+)`)
	mailtoAngleRe    = regexp.MustCompile(`^[^?&]*<([^@>]+@[^>]+)>`)
	mailtoLikeRe     = regexp.MustCompile(`^[^:]*@`)
)

// canonURIs returns uris with every derived form, each once.
func canonURIs(uris []string, redirectors []*Regex) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		if len(u) > maxURILength {
			u = u[:maxURILength]
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	canonWalk(uris, redirectors, add)
	return out
}

// canonWalk gives add every form of uris (Util::uri_list_canonicalize),
// redirector targets in turn, at most maxURIsCanon URIs.
func canonWalk(uris []string, redirectors []*Regex, add func(string)) {
	queue := append([]string(nil), uris...)
	for i := 0; i < len(queue) && i < maxURIsCanon; i++ {
		uri := strings.TrimSpace(strings.ReplaceAll(queue[i], "\n", ""))
		uri = strings.ReplaceAll(uri, "\r", "")
		add(uri)
		if len(uri) <= 1 || strings.ContainsAny(uri[:1], "#?&") || uri[0] == '/' && (len(uri) < 2 || uri[1] != '/') {
			continue
		}
		if len(uri) >= 7 && strings.EqualFold(uri[:7], "mailto:") || mailtoLikeRe.MatchString(uri) {
			mailtoForms(uri, add)
			continue
		}
		n := fixURL(uri)
		if n != uri {
			add(n)
		}
		if t := hostForms(n, redirectors, add); t != "" {
			queue = append(queue, t)
		}
	}
}

// mailtoForms adds the address forms of a mailto: (or user@host) URI:
// without its query, without leading %20s, from inside <...>.
func mailtoForms(uri string, add func(string)) {
	for _, re := range []*regexp.Regexp{mailtoQueryRe, mailtoAmpRe} {
		if m := re.FindStringSubmatch(uri); m != nil {
			add(m[1])
		}
	}
	if strings.Contains(uri, "%20") {
		if m := mailtoSpaceRe.FindStringSubmatch(uri); m != nil {
			add("mailto:" + m[1])
		}
	}
	if m := mailtoAngleRe.FindStringSubmatch(uri); m != nil {
		add("mailto:" + m[1])
	}
}

// fixURL is a URL with backslashes and the slashes after http: fixed,
// harmless %-escapes decoded, a scheme added if missing, a path before a
// bare query, and character references of printable ASCII and dots
// decoded.
func fixURL(uri string) string {
	n := strings.ReplaceAll(uri, `\`, "/")
	n = uriHTTPSlashesRe.ReplaceAllString(n, "${1}//")
	if uriPercentRe.MatchString(n) {
		n = uriEncode(n)
	}
	if !uriSchemeRe.MatchString(n) {
		if strings.HasPrefix(n, "ftp.") {
			n = "ftp://" + n
		} else {
			n = "http://" + n
		}
	}
	n = uriQueryNoPathRe.ReplaceAllString(n, "$1/$2")
	n = uriEntityDecRe.ReplaceAllStringFunc(n, func(e string) string {
		v, _ := strconv.Atoi(uriEntityDecRe.FindStringSubmatch(e)[1])
		return string(rune(v))
	})
	n = uriEntityHexRe.ReplaceAllStringFunc(n, func(e string) string {
		v, _ := strconv.ParseUint(uriEntityHexRe.FindStringSubmatch(e)[1], 16, 8)
		return string(rune(v))
	})
	return uriEntityDotRe.ReplaceAllString(n, ".")
}

// hostForms adds the forms of http(s) URL n that change its host part
// (default port, IDN, controls, user part, trailing punctuation, numeric
// hosts, a bare word) and returns the redirect target it holds, "" if
// none.
func hostForms(n string, redirectors []*Regex, add func(string)) (target string) {
	m := uriPartsRe.FindStringSubmatch(n)
	if m == nil {
		return ""
	}
	proto, auth, host, rest, port := m[1], m[2], m[3], m[4], m[5]
	restNoPort := ""
	if strings.HasPrefix(rest, ":") {
		restNoPort = rest
		if proto == "http://" {
			if p, ok := dropPort(restNoPort, "80"); ok {
				restNoPort = p
				add(proto + host + p)
			}
		} else if p, ok := dropPort(restNoPort, "443"); ok {
			restNoPort = p
			add(proto + host + p)
		}
	} else if proto == "http://" {
		port = "80"
	}
	nhost := idnToASCII(host)
	if nhost != strings.ToLower(host) {
		add(proto + nhost + rest)
		if restNoPort != "" {
			add(proto + nhost + restNoPort)
		}
		host = nhost
	}
	if h := strings.Map(func(r rune) rune {
		if r <= 0x20 {
			return -1
		}
		return r
	}, host); h != host {
		host = h
		add(proto + host + rest)
	}
	target = redirectTarget(proto+host+rest, rest, redirectors)
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
		add(proto + host + rest)
	}
	if h := strings.TrimRightFunc(host, func(r rune) bool { return !isASCIIAlnum(r) }); h != host {
		host = h
		add(proto + host + rest)
	}
	switch {
	case uriFourPartsRe.MatchString(host):
		q := uriFourPartsRe.FindStringSubmatch(host)
		var b strings.Builder
		b.WriteString(proto)
		for _, oct := range q[1:5] {
			b.WriteString(normOctet(oct))
		}
		add(b.String() + rest)
	case uriHexHostRe.MatchString(host):
		v, _ := strconv.ParseUint(uriHexHostRe.FindStringSubmatch(host)[1], 16, 64)
		add(proto + ulongToIP(v) + rest)
	case host != "" && strings.Trim(host, "0123456789") == "":
		if v, err := strconv.ParseUint(host, 10, 64); err == nil {
			add(proto + ulongToIP(v) + rest)
		}
	case proto == "http://" && auth == "" && nhost != "localhost" && port == "80":
		if w := uriBareWordRe.FindStringSubmatch(nhost); w != nil {
			add(proto + "www." + w[1] + ".com" + rest)
		}
	}
	return target
}

// redirectTarget is the URL a redirector_pattern finds in url (its first
// group, holding a dot), else an http URL inside rest; "" if none.
func redirectTarget(url, rest string, redirectors []*Regex) string {
	lower := ""
	for _, re := range redirectors {
		// the literal prefilter and the DFA reject most URLs before the
		// backtracker looks for the group at every start
		if re.lits != nil {
			if lower == "" {
				lower = lowerASCII(url)
			}
			if !re.mayMatch(lower) {
				continue
			}
		}
		if !re.Match(url, "") {
			continue
		}
		if t, ok := re.Submatch(url, 1); ok && strings.Contains(t, ".") {
			return t
		}
	}
	if !hasHTTPFold(rest) {
		return "" // every match of uriInnerHTTPRe holds "http"
	}
	if im := uriInnerHTTPRe.FindStringSubmatch(rest); im != nil && strings.Contains(im[1], ".") {
		return im[1]
	}
	return ""
}

// hasHTTPFold reports whether s holds "http" in any case.
func hasHTTPFold(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if (s[i] == 'h' || s[i] == 'H') && strings.EqualFold(s[i:i+4], "http") {
			return true
		}
	}
	return false
}

// dropPort removes ":port" from the start of rest when a word boundary
// follows, as s/^:80\b//.
func dropPort(rest, port string) (string, bool) {
	p := ":" + port
	if !strings.HasPrefix(rest, p) || len(rest) > len(p) && isWordByte(rest[len(p)]) {
		return rest, false
	}
	return rest[len(p):], true
}

func isASCIIAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// normOctet is one part of a four-part numeric host: hex and octal to
// decimal, leading zeros dropped (a "0" part becomes empty, as in
// SpamAssassin).
func normOctet(o string) string {
	if len(o) > 2 && (o[:2] == "0x" || o[:2] == "0X") {
		i := 2
		for i < len(o) && isHexDigit(o[i]) {
			i++
		}
		v, _ := strconv.ParseUint(o[2:i], 16, 64)
		o = strconv.FormatUint(v, 10) + o[i:]
	}
	if m := uriOctetOctalRe.FindStringSubmatchIndex(o); m != nil {
		v, _ := strconv.ParseUint(o[m[2]:m[3]], 8, 64)
		o = strconv.FormatUint(v, 10) + o[m[1]:]
	}
	return strings.TrimLeft(o, "0")
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// ulongToIP is decode_ulong_to_ip: the number in hex, at least 8
// digits, read as bytes; the first four make the address.
func ulongToIP(v uint64) string {
	h := fmt.Sprintf("%08x", v)
	if len(h)%2 == 1 {
		h += "0" // pack H* pads the last nibble
	}
	var b [4]byte
	for i := range b {
		x, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		b[i] = byte(x)
	}
	return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
}

// idnToASCII is the host in ASCII (punycode for an IDN), lower case; a
// host that does not convert stays as it is, lower-cased.
func idnToASCII(host string) string {
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			if a, err := idna.Lookup.ToASCII(host); err == nil {
				return a
			}
			break
		}
	}
	return strings.ToLower(host)
}

// uriEncode is Util::url_encode: %-escapes of printable bytes other than
// space and DEL are decoded (%2F, %40 and the like too), and bytes that
// must be escaped (controls, space, 8-bit, '"', '%', '<', '>') are.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			x, y := lowerHex(s[i+1]), lowerHex(s[i+2])
			if x >= '2' && x <= '7' && !(x == '2' && y == '0') && !(x == '7' && y == 'f') {
				v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
				b.WriteByte(byte(v))
			} else {
				b.WriteString(s[i : i+3])
			}
			i += 2
			continue
		}
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '%' || c == '<' || c == '>' {
			fmt.Fprintf(&b, "%%%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}
