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
// parseDate reads the dates of Date: and Received: headers leniently, like
// Mail::SpamAssassin::Util::parse_rfc822_date: "[Day,] D Mon YYYY
// HH:MM[:SS] [zone]", zone numeric or a common name; no zone = UTC.

var dateRe = mustRegex(`(\d{1,2})\s+([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{3,4}|[A-Za-z]{1,5})?`)

var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

var zoneOffsets = map[string]int{"ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -500, "edt": -400,
	"cst": -600, "cdt": -500, "mst": -700, "mdt": -600, "pst": -800, "pdt": -700,
	"bst": 100, "cet": 100, "cest": 200, "met": 100, "mest": 200, "eet": 200, "jst": 900, "kst": 900}

func parseDate(s string) (time.Time, bool) {
	m := dateRe.FindSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	day, _ := strconv.Atoi(m[1])
	mon, ok := months[strings.ToLower(m[2])]
	if !ok {
		return time.Time{}, false
	}
	year, _ := strconv.Atoi(m[3])
	if year < 100 {
		if year < 50 {
			year += 2000
		} else {
			year += 1900
		}
	}
	hh, _ := strconv.Atoi(m[4])
	mm, _ := strconv.Atoi(m[5])
	ss, _ := strconv.Atoi(m[6])
	off := 0
	if z := m[7]; z != "" {
		if z[0] == '+' || z[0] == '-' {
			v, _ := strconv.Atoi(z[1:])
			off = v
			if z[0] == '-' {
				off = -v
			}
		} else {
			off = zoneOffsets[strings.ToLower(z)]
		}
	}
	secs := (off/100)*3600 + (off%100)*60
	if day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, false
	}
	t := time.Date(year, mon, day, hh, mm, ss, 0, time.UTC).Add(-time.Duration(secs) * time.Second)
	return t, true
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
