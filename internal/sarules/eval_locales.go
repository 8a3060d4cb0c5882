package sarules

import (
	"regexp"
	"strings"
)

// The faraway charset evals, by ok_locales: MIMEEval's
// check_for_faraway_charset, HeaderEval's
// check_for_faraway_charset_in_headers and HTMLEval's
// html_charset_faraway. With the default ok_locales, "all", no charset
// is faraway.

// myLocales is Util::get_my_locales: the ok_locales words. (The Perl
// adds the process's LC_ALL, LANGUAGE, LC_MESSAGES or LANG; mailwall
// reads rules as spamassassin run with LANG=C, and "C" allows nothing
// more than the charsets every locale allows.)
func (rs *Ruleset) myLocales() []string {
	if rs.okLocales == nil {
		return []string{"all"}
	}
	return strings.FieldsFunc(*rs.okLocales, func(r rune) bool { return r < 0x80 && isSpaceByte(byte(r)) })
}

// allLocales reports whether "all" is among the locales.
func allLocales(locales []string) bool {
	for _, l := range locales {
		if l == "all" {
			return true
		}
	}
	return false
}

// charsetsForLocale is Locales.pm's %charsets_for_locale.
var charsetsForLocale = map[string]string{
	"ja": "EUCJP JISX020119760 JISX020819830 JISX020819900 JISX020819970 " +
		"JISX021219900 JISX021320001 JISX021320002 SHIFT_JIS SHIFTJIS " +
		"ISO2022JP SJIS JIS7 JISX0201 JISX0208 JISX0212",
	"ko":        "EUCKR KSC56011987",
	"ru":        "KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS CP1251 PT154 CP866",
	"ka":        "KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS CP1251 PT154 CP866",
	"tg":        "KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS CP1251 PT154 CP866",
	"be":        "KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS CP1251 PT154 CP866",
	"uk":        "KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS CP1251 PT154 CP866",
	"bg":        "KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS CP1251 PT154 CP866",
	"th":        "TIS620",
	"zh":        "GB1988 GB2312 GB231219800 GB18030 GBK BIG5HKSCS BIG5 EUCTW ISO2022CN",
	"zh.big5":   "BIG5HKSCS BIG5 EUCTW",
	"zh.gb2312": "GB1988 GB2312 GB231219800 GB18030 GBK ISO2022CN",
}

var (
	okCharsetPrefixRe = regexp.MustCompile(`^(?:ISO8859|ISO10646|UTF|UCS|CP125|WINDOWS|UNICODE11UTF[78])`)
	localeLangRe      = regexp.MustCompile(`^([a-z][a-z]).*$`)
)

// charsetOKForLocales is Locales::is_charset_ok_for_locales: ASCII, the
// ISO-8859, Unicode and Windows charsets and a few others always; else
// one of the charsets of a locale's language.
func charsetOKForLocales(cs string, locales []string) bool {
	var b strings.Builder
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	cs = strings.TrimPrefix(b.String(), "3D") // broken by quoted-printable
	switch cs {
	case "USASCII", "ASCII", "IBM852", "XUNKNOWN", "ISO":
		return true
	}
	if okCharsetPrefixRe.MatchString(cs) {
		return true
	}
	for _, l := range locales {
		if l == "C" {
			l = "en"
		}
		l = localeLangRe.ReplaceAllString(l, "$1")
		ok, found := charsetsForLocale[l]
		if !found {
			continue
		}
		// /(?:^| )\Q${cs}\E(?:$| )/
		if cs == "" {
			if strings.Contains(ok, "  ") || strings.HasPrefix(ok, " ") || strings.HasSuffix(ok, " ") {
				return true
			}
			continue
		}
		for _, w := range strings.Split(ok, " ") {
			if w == cs {
				return true
			}
		}
	}
	return false
}

var (
	// get_charset_from_ct_line
	ctCharsetDQRe    = regexp.MustCompile(`(?i)charset="([^"]+)"`)
	ctCharsetSQRe    = regexp.MustCompile(`(?i)charset='([^']+)'`)
	ctCharsetPlainRe = regexp.MustCompile(`(?i)charset=([^\t\n\v\f\r ]+)`)
	encodedWordCSRe  = regexp.MustCompile(`=\?(.+?)\?.\?.*?\?=`)
)

// charsetFromCTLine is MIMEEval's get_charset_from_ct_line.
func charsetFromCTLine(ct string) (string, bool) {
	for _, re := range []*regexp.Regexp{ctCharsetDQRe, ctCharsetSQRe, ctCharsetPlainRe} {
		if m := re.FindStringSubmatch(ct); m != nil {
			return m[1], true
		}
	}
	return "", false
}

// moreHighBits is MIMEEval's are_more_high_bits_set: at least as many
// 8-bit bytes as 7-bit ones, and more than 3.
func moreHighBits(s string) bool {
	hi := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			hi++
		}
	}
	return len(s)-hi <= hi && hi > 3
}

var localeEvals = map[string]evalFunc{
	"check_for_faraway_charset": func(p *pms, r *Rule, a []string) int {
		locales := p.rs.myLocales()
		ct := p.get("Content-Type")
		if allLocales(locales) || !ct.ok {
			return 0
		}
		cs, ok := charsetFromCTLine(ct.s)
		if !ok || charsetOKForLocales(cs, locales) {
			return 0
		}
		// the rendered body, lines joined with "\n"
		return btoi(moreHighBits(strings.Join(p.m.body, "\n")))
	},
	"check_for_faraway_charset_in_headers": func(p *pms, r *Rule, a []string) int {
		locales := p.rs.myLocales()
		if allLocales(locales) {
			return 0
		}
		for _, h := range []string{"From:raw", "Subject:raw"} {
			for _, v := range p.getList(h) {
				for _, m := range encodedWordCSRe.FindAllStringSubmatch(v, -1) {
					if !charsetOKForLocales(m[1], locales) {
						return 1
					}
				}
			}
		}
		return 0
	},
	// QUIRK: HTML.pm collects the <meta> charsets on itself, not in the
	// results html_charset_faraway reads, so the eval never hits.
	"html_charset_faraway": func(p *pms, r *Rule, a []string) int { return 0 },
}
