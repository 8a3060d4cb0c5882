package sarules

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// # Dates
//
// parseDate is Mail::SpamAssassin::Util::parse_rfc822_date (4.0.1), step
// for step: commas and runs of blanks become one space; the date part is
// "D Mon YYYY", asctime's "Mon D hh:mm:ss YYYY" (whose time is taken with
// it: the date is read as midnight) or "D Mon YY[Y]", each removed from
// the text once found; then "hh:mm[:ss]", then a numeric zone or the
// first all-capital word if it names a zone (-0000 otherwise); out of
// range fields are fudged, years clamped to 1970..2037.

var (
	dateCommaRe  = regexp.MustCompile(`, *`)
	dateBlanksRe = regexp.MustCompile(`[ \t\n\r\f\v]+`) // Perl's \s
	dateDMYRe    = regexp.MustCompile(`(?i) (\d+) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) `)
	dateAscRe    = regexp.MustCompile(`(?i) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d+) \d+:\d+:\d+ (\d{4}) `)
	dateDMY2Re   = regexp.MustCompile(`(?i) (\d+) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2,3}) `)
	dateHMSRe    = regexp.MustCompile(` (\d?\d):(\d\d)(:(\d\d))? `)
	dateNumTZRe  = regexp.MustCompile(` ([-+]\d{4}) `)
	dateNameTZRe = regexp.MustCompile(`\b([A-Z]{2,4}(?:-DST)?)\b`)
)

var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

// dateZones is Util.pm's %TZ.
var dateZones = map[string]string{
	"UT": "+0000", "UTC": "+0000",
	"NDT": "-0230", "AST": "-0400", "ADT": "-0300", "NST": "-0330", "EST": "-0500", "EDT": "-0400",
	"CST": "-0600", "CDT": "-0500", "MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"HST": "-1000", "AKST": "-0900", "AKDT": "-0800", "HADT": "-0900", "HAST": "-1000",
	"GMT": "+0000", "BST": "+0100", "IST": "+0100", "WET": "+0000", "WEST": "+0100", "CET": "+0100",
	"CEST": "+0200", "EET": "+0200", "EEST": "+0300", "MSK": "+0300", "MSD": "+0400", "MET": "+0100",
	"MEZ": "+0100", "MEST": "+0200", "MESZ": "+0200",
	"BRST": "-0200", "BRT": "-0300",
	"AEST": "+1000", "AEDT": "+1100", "ACST": "+0930", "ACDT": "+1030", "AWST": "+0800",
	"NZST": "+1200", "NZDT": "+1300",
	"JST": "+0900", "KST": "+0900", "HKT": "+0800", "SGT": "+0800", "PHT": "+0800",
	"IDT": "+0300",
}

// subFirst is Perl's s/re/ /: the groups of re's first match in s, and s
// with that match replaced by one space; nil if none.
func subFirst(re *regexp.Regexp, s string) ([]string, string) {
	loc := re.FindStringSubmatchIndex(s)
	if loc == nil {
		return nil, s
	}
	g := make([]string, len(loc)/2)
	for k := range g {
		if loc[2*k] >= 0 {
			g[k] = s[loc[2*k]:loc[2*k+1]]
		}
	}
	return g, s[:loc[0]] + " " + s[loc[1]:]
}

func parseDate(date string) (time.Time, bool) {
	s := dateBlanksRe.ReplaceAllString(dateCommaRe.ReplaceAllString(" "+date+" ", " "), " ")
	var dd, mon, yyyy string
	if g, rest := subFirst(dateDMYRe, s); g != nil {
		dd, mon, yyyy, s = g[1], g[2], g[3], rest
	} else if g, rest := subFirst(dateAscRe, s); g != nil {
		dd, mon, yyyy, s = g[2], g[1], g[3], rest
	} else if g, rest := subFirst(dateDMY2Re, s); g != nil {
		dd, mon, yyyy, s = g[1], g[2], g[3], rest
	} else {
		return time.Time{}, false
	}
	year, _ := strconv.Atoi(yyyy)
	if len(yyyy) == 2 && year < 50 {
		year += 2000
	} else if len(yyyy) != 4 {
		year += 1900
	}
	var hh, mm, ss int
	if g, rest := subFirst(dateHMSRe, s); g != nil {
		hh, _ = strconv.Atoi(g[1])
		mm, _ = strconv.Atoi(g[2])
		ss, _ = strconv.Atoi(g[4])
		s = rest
	}
	tz := dateZone(s)
	day, err := strconv.Atoi(dd)
	if err != nil || len(dd) > 9 {
		day = 99 // a day past every month: fudged below
	}
	m := int(months[strings.ToLower(mon)])
	ss, mm, hh = min(ss, 59), min(mm, 59), min(hh, 23)
	day, m, year = fudgeDay(day, m, year)
	year = max(min(year, 2037), 1970)
	if day < 1 { // Time::Local's timegm croaks: unparseable
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(m), day, hh, mm, ss, 0, time.UTC).Unix()
	return time.Unix(applyDateZone(t, tz), 0).UTC(), true
}

// dateZone is parse_rfc822_date's zone: the numeric one, or the first
// all-capital word if it names one, else -0000.
func dateZone(s string) string {
	tz := ""
	if g, _ := subFirst(dateNumTZRe, s); g != nil {
		tz = g[1]
	} else if g, _ := subFirst(dateNameTZRe, s); g != nil {
		tz = dateZones[g[1]]
	}
	if tz == "" {
		tz = "-0000"
	}
	return tz
}

// fudgeDay is parse_rfc822_date's fix of a day past its month's end:
// the first of the next month.
func fudgeDay(day, m, year int) (int, int, int) {
	maxDay := 31
	switch m {
	case 4, 6, 9, 11:
		maxDay = 30
	case 2:
		maxDay = 28
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			maxDay = 29
		}
	}
	if day > maxDay {
		day = 1
		if m++; m > 12 {
			m, year = 1, year+1
		}
	}
	return day, m, year
}

// applyDateZone turns t, read as UTC, into the time of zone tz as Util.pm
// applies it: ([-+])(\d\d)(\d\d)$, no earlier than 0 for a '+' zone.
func applyDateZone(t int64, tz string) int64 {
	if len(tz) < 5 {
		return t
	}
	z := tz[len(tz)-5:]
	h, err1 := strconv.Atoi(z[1:3])
	mi, err2 := strconv.Atoi(z[3:5])
	if z[0] != '+' && z[0] != '-' || err1 != nil || err2 != nil {
		return t
	}
	off := int64((h*60 + mi) * 60)
	switch {
	case z[0] == '-':
		return t + off
	case t < off:
		return 0
	}
	return t - off
}

var (
	rcvdTimeRe      = mustRegex(`(\s.?\d+ \S\S\S \d+ \d+:\d+:\d+ \S+)`)
	rcvdLocalRe     = regexp.MustCompile(`\bfrom (?:localhost\s|(?:\S+ ){1,2}\S*\b127\.0\.0\.1\b)`)
	rcvdQmailRe     = regexp.MustCompile(`qmail \d+ invoked by uid \d+`)
	rcvdFetchmailRe = regexp.MustCompile(`\bby localhost with \w+ \(fetchmail-[\d.]+`)
)

// dateDiff is HeaderEval's _check_date_diff: Date minus the Received time
// closest to it, in seconds; ok false when either is missing.
func (p *pms) dateDiff() (float64, bool) {
	// computed once: every check_for_shifted_date rule asks
	if !p.dateDone {
		p.dateDone = true
		p.dateDiffV, p.dateDiffOK = p.computeDateDiff()
	}
	return p.dateDiffV, p.dateDiffOK
}

func (p *pms) computeDateDiff() (float64, bool) {
	var date time.Time
	found := false
	for _, h := range []string{"Resent-Date", "Date"} {
		for _, v := range headerValues(p.m.Header, h, false) {
			if t, ok := parseDate(v); ok {
				date, found = t, true
				break
			}
		}
		if found {
			break
		}
	}
	if !found {
		return 0, false
	}
	var rcvd []string
	for _, v := range headerValues(p.m.Header, "Received", false) {
		if strings.TrimSpace(v) != "" {
			rcvd = append(rcvd, v)
		}
	}
	if len(rcvd) == 0 {
		return 0, false
	}
	var local []string
	if rcvdLocalRe.MatchString(rcvd[0]) || rcvdQmailRe.MatchString(rcvd[0]) {
		local, rcvd = append(local, rcvd[0]), rcvd[1:]
	}
	if len(rcvd) > 0 && rcvdFetchmailRe.MatchString(rcvd[0]) {
		rcvd = rcvd[1:]
	} else if len(local) > 0 {
		rcvd = append([]string{local[0]}, rcvd...)
	}
	var diffs []float64
	for _, v := range rcvd {
		m := rcvdTimeRe.FindSubmatch(v)
		if m == nil {
			continue
		}
		if t, ok := parseDate(m[1]); ok {
			diffs = append(diffs, date.Sub(t).Seconds())
		}
	}
	if len(diffs) == 0 {
		return 0, true
	}
	if len(diffs) > 1 && diffs[len(diffs)-1] == 0 {
		diffs = diffs[:len(diffs)-1]
	}
	sort.SliceStable(diffs, func(i, j int) bool { return abs(diffs[i]) < abs(diffs[j]) })
	return diffs[0], true
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
