package sarules

import (
	"strconv"
	"strings"
)

// Settings of the output side: report templates and auto-learn.

// unquoteTemplate strips one pair of enclosing double quotes, as
// SpamAssassin's set_template_append does (they keep leading blanks).
func unquoteTemplate(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// reportHeader: report_safe 0 adds "add_header spam Report _REPORT_"
// unless a Report header is configured already (Conf.pm report_safe).
func (p *parser) reportHeader() {
	rs := p.rs
	if rs.ReportSafe != 0 {
		return
	}
	for _, h := range rs.headers {
		if h.when == "spam" && strings.EqualFold(h.name, "Report") {
			return
		}
	}
	rs.headers = append(rs.headers, addHeader{when: "spam", name: "Report", value: "_REPORT_"})
}

// autoLearnSetting applies the bayes_auto_learn family.
func (p *parser) autoLearnSetting(key, value string) bool {
	al := &p.rs.AutoLearn
	switch key {
	case "bayes_auto_learn", "bayes_auto_learn_on_error":
		on := value == "1" || strings.EqualFold(value, "yes")
		if !on && value != "0" && !strings.EqualFold(value, "no") {
			p.diag(Error, "bad %s %q", key, value)
			return true
		}
		if key == "bayes_auto_learn" {
			al.Enabled = on
		} else {
			al.OnError = on
		}
	case "bayes_auto_learn_threshold_nonspam", "bayes_auto_learn_threshold_spam":
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			p.diag(Error, "bad %s %q", key, value)
			return true
		}
		if key == "bayes_auto_learn_threshold_spam" {
			al.SpamThreshold = v
		} else {
			al.HamThreshold = v
		}
	default:
		return false
	}
	return true
}
