package sarules

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

// mimeStats is MIMEEval's _check_attachments over every MIME node.
type mimeStats struct {
	vals  map[string]float64
	ratio float64 // mime_multipart_ratio
}

var (
	qpCharRe     = regexp.MustCompile(`=(?:09|3[0-9ABCEF]|[2456][0-9A-F]|7[0-9A-E])`)
	qpTrailingRe = regexp.MustCompile(`((?:=09|=20)+)\s*$`)
	asciiCsRe    = regexp.MustCompile(`(?:us-ascii|ansi_x3\.4-1968|iso-ir-6|ansi_x3\.4-1986|iso_646\.irv:1991|ascii|iso646-us|us|ibm367|cp367|csascii)`)
	unicodeEntRe = regexp.MustCompile(`&#x[0-9A-F]{4};`)
)

func (p *pms) mime() *mimeStats {
	if p.mimeCache != nil {
		return p.mimeCache
	}
	st := &mimeStats{vals: map[string]float64{}, ratio: 1}
	v := st.vals
	var qpBytes, qpCount, normal, unicode float64
	var partBytes []float64
	var partType []string
	var hasBytes []bool
	alt := false
	for _, n := range p.m.nodes {
		if n.MediaType == "multipart/alternative" {
			alt = true
			v["mime_multipart_alternative"] = 1
		}
		cd := strings.ToLower(lastValue(n.Header, "content-disposition"))
		cte := n.Encoding
		switch {
		case n.MediaType == "text/html":
			v["mime_body_html_count"]++
		case strings.HasPrefix(n.MediaType, "text"):
			v["mime_body_text_count"]++
		}
		if strings.Contains(cte, "base64") {
			v["mime_base64_count"]++
		} else if strings.Contains(cte, "quoted-printable") {
			v["mime_qp_count"]++
		}
		if strings.Contains(cd, "attachment") {
			v["mime_attachment"]++
		}
		if strings.HasPrefix(n.MediaType, "text") && strings.Contains(cte, "base64") &&
			(n.Charset == "" || asciiCsRe.MatchString(n.Charset)) &&
			!strings.HasPrefix(cd, "attachment") && !strings.HasPrefix(cd, "inline") {
			v["mime_base64_encoded_text"] = 1
		}
		if !n.leaf {
			continue
		}
		idx := len(partType)
		partType = append(partType, n.MediaType)
		partBytes = append(partBytes, 0)
		hasBytes = append(hasBytes, !strings.Contains(cd, "attachment"))
		for _, line := range bytes.SplitAfter(n.Raw, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			if alt && !strings.Contains(cd, "attachment") && (n.MediaType == "text/plain" || n.MediaType == "text/html") {
				partBytes[idx] += float64(len(line))
			}
			if cte == "quoted-printable" && !bytes.HasPrefix(line, []byte("SPAM: ")) {
				if len(line) > 79 {
					v["mime_qp_long_line"] = 1
				}
				qpBytes += float64(len(line))
				if bytes.IndexByte(line, '=') >= 0 {
					if q := len(qpCharRe.FindAll(line, -1)); q > 0 {
						qpCount += float64(q)
						if m := qpTrailingRe.FindSubmatch(line); m != nil {
							qpCount -= float64(len(m[1]) / 3)
						}
					}
				}
			}
			if n.MediaType == "text/plain" && (n.Charset == "" || n.Charset == "us-ascii") {
				for _, c := range line {
					if c == 0 || c == '\r' || c >= 0x80 {
						v["mime_ascii_text_illegal"]++
						break
					}
				}
			}
			if n.MediaType == "text/plain" && (cte == "" || cte == "7bit" || cte == "8bit") {
				subs := len(unicodeEntRe.FindAll(line, -1))
				normal += float64(len(line) - 8*subs)
				unicode += float64(subs)
			}
		}
	}
	if qpBytes > 0 {
		v["mime_qp_ratio"] = qpCount / qpBytes
		v["mime_qp_count"] = qpCount
	}
	if normal > 0 {
		v["mime_text_unicode_ratio"] = unicode / normal
	}
	if alt {
		text, html := -1.0, -1.0
		for i := len(partType) - 1; i >= 0; i-- {
			if !hasBytes[i] {
				continue
			}
			if html < 0 && partType[i] == "text/html" {
				html = partBytes[i]
			} else if text < 0 && partType[i] == "text/plain" {
				text = partBytes[i]
			}
		}
		if text >= 0 && html > 0 {
			st.ratio = text / html
		}
	}
	if p.m.flags["mime_missing_boundary"] {
		v["mime_missing_boundary"] = 1
	}
	p.mimeCache = st
	return st
}

var mimeEvals = map[string]evalFunc{
	"check_for_mime": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		return btoi(p.mime().vals[a[0]] != 0)
	},
	"check_for_mime_html": func(p *pms, r *Rule, a []string) int {
		if strings.HasPrefix(strings.ToLower(p.m.HeaderGet("Content-Type")), "text/html") {
			return 1
		}
		return btoi(p.mime().vals["mime_body_html_count"] > 0)
	},
	"check_for_mime_html_only": func(p *pms, r *Rule, a []string) int {
		if strings.HasPrefix(strings.ToLower(p.m.HeaderGet("Content-Type")), "text/html") {
			return 1
		}
		v := p.mime().vals
		return btoi(v["mime_body_html_count"] > 0 && v["mime_body_text_count"] == 0)
	},
	"check_mime_multipart_ratio": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		lo, _ := strconv.ParseFloat(a[0], 64)
		hi, _ := strconv.ParseFloat(a[1], 64)
		x := p.mime().ratio
		return btoi(x >= lo && x < hi)
	},
	"check_for_ascii_text_illegal": func(p *pms, r *Rule, a []string) int {
		return btoi(p.mime().vals["mime_ascii_text_illegal"] > 0)
	},
	"check_abundant_unicode_ratio": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		min, _ := strconv.ParseFloat(a[0], 64)
		return btoi(p.mime().vals["mime_text_unicode_ratio"] >= min)
	},
	"check_msg_parse_flags": func(p *pms, r *Rule, a []string) int {
		for _, f := range a {
			if p.m.flags[f] {
				return 1
			}
		}
		return 0
	},
}
