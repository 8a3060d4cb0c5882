package sarules

import (
	"fmt"
	"strconv"
	"strings"
)

// implementedPlugins are the SpamAssassin plugins whose rules mailwall
// loads ("ifplugin X" is true). Eval functions a plugin provides that the
// engine lacks leave their rules inactive (Stats.MissingEvals).
var implementedPlugins = map[string]bool{
	"Check": true, "HeaderEval": true, "BodyEval": true, "MIMEEval": true,
	"HTMLEval": true, "URIEval": true, "WLBLEval": true, "RelayEval": true,
	"ReplaceTags": true, "MIMEHeader": true, "FreeMail": true,
	"ImageInfo": true, "VBounce": true, "WelcomeListSubject": true,
	"AutoLearnThreshold": true, "HTTPSMismatch": true, "URIDetail": true,
	"Bayes": true, "DNSEval": true, "URIDNSBL": true, "AskDNS": true,
	"HashBL": true, "DKIM": true, "SPF": true, "DMARC": true, "Dmarc": true,
	"Pyzor": true, "Razor2": true, "SpamCop": true,
}

func pluginPresent(name string) bool {
	name = strings.TrimSpace(name)
	name = strings.TrimPrefix(name, "Mail::SpamAssassin::Plugin::")
	return implementedPlugins[name]
}

// knownFeatures answer "if can(Mail::SpamAssassin::Conf::feature_x)" as
// SpamAssassin 4.0.1 does. Plugin methods (can(Plugin::X::has_y)) are true
// when plugin X is present.
var knownFeatures = map[string]bool{
	"feature_originating_ip_headers":       true,
	"feature_dns_local_ports_permit_avoid": true,
	"feature_bayes_auto_learn_on_error":    true,
	"feature_uri_host_listed":              true,
	"feature_yesno_takes_args":             true,
	"feature_bug6558_free":                 true,
	"feature_edns":                         true,
	"feature_dns_query_restriction":        true,
	"feature_registryboundaries":           true,
	"feature_geodb":                        true,
	"feature_dns_block_rule":               true,
	"feature_compile_regexp":               true,
	"feature_meta_rules_matching":          true,
	"feature_subjprefix":                   true,
	"feature_bayes_stopwords":              true,
	"feature_get_host":                     true,
	"feature_blocklist_welcomelist":        true,
	"feature_welcomelist_blocklist":        true,
	"feature_header_address_parser":        true,
	"feature_local_tests_only":             true,
	"feature_header_first_last":            true,
	"feature_header_match_many":            true,
	"feature_capture_rules":                true,
	"has_tflags_nosubject":                 true,
	"has_tflags_nolog":                     true,
	"perl_min_version_5010000":             true,
}

// evalIf evaluates an "if" expression: version comparisons, can(...),
// has(...), plugin(...), perl_version, numbers, ! && || and parentheses.
func evalIf(expr string, version float64) (bool, error) {
	e := &ifExpr{s: expr, version: version}
	v, err := e.or()
	if err != nil {
		return false, err
	}
	e.space()
	if e.pos < len(e.s) {
		return false, fmt.Errorf("unexpected %q", e.s[e.pos:])
	}
	return v != 0, nil
}

type ifExpr struct {
	s       string
	pos     int
	version float64
}

func (e *ifExpr) space() {
	for e.pos < len(e.s) && (e.s[e.pos] == ' ' || e.s[e.pos] == '\t') {
		e.pos++
	}
}

func (e *ifExpr) eat(tok string) bool {
	e.space()
	if strings.HasPrefix(e.s[e.pos:], tok) {
		e.pos += len(tok)
		return true
	}
	return false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (e *ifExpr) or() (float64, error) {
	v, err := e.and()
	for err == nil && e.eat("||") {
		var w float64
		w, err = e.and()
		v = b2f(v != 0 || w != 0)
	}
	return v, err
}

func (e *ifExpr) and() (float64, error) {
	v, err := e.cmp()
	for err == nil && e.eat("&&") {
		var w float64
		w, err = e.cmp()
		v = b2f(v != 0 && w != 0)
	}
	return v, err
}

func (e *ifExpr) cmp() (float64, error) {
	v, err := e.unary()
	if err != nil {
		return 0, err
	}
	for _, op := range []string{">=", "<=", "==", "!=", ">", "<"} {
		if e.eat(op) {
			w, err := e.unary()
			if err != nil {
				return 0, err
			}
			switch op {
			case ">=":
				return b2f(v >= w), nil
			case "<=":
				return b2f(v <= w), nil
			case "==":
				return b2f(v == w), nil
			case "!=":
				return b2f(v != w), nil
			case ">":
				return b2f(v > w), nil
			}
			return b2f(v < w), nil
		}
	}
	return v, nil
}

func (e *ifExpr) unary() (float64, error) {
	if e.eat("!") {
		v, err := e.unary()
		return b2f(v == 0), err
	}
	if e.eat("(") {
		v, err := e.or()
		if err == nil && !e.eat(")") {
			err = fmt.Errorf("missing )")
		}
		return v, err
	}
	e.space()
	start := e.pos
	for e.pos < len(e.s) && strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:", e.s[e.pos]) >= 0 {
		e.pos++
	}
	word := e.s[start:e.pos]
	if word == "" {
		return 0, fmt.Errorf("unexpected %q", e.s[e.pos:])
	}
	if f, err := strconv.ParseFloat(word, 64); err == nil {
		return f, nil
	}
	switch word {
	case "version":
		return e.version, nil
	case "perl_version":
		return 5.036, nil
	case "can", "has", "plugin":
		if !e.eat("(") {
			return 0, fmt.Errorf("%s without (", word)
		}
		end := strings.IndexByte(e.s[e.pos:], ')')
		if end < 0 {
			return 0, fmt.Errorf("missing )")
		}
		arg := strings.TrimSpace(e.s[e.pos : e.pos+end])
		e.pos += end + 1
		if word == "plugin" {
			return b2f(pluginPresent(arg)), nil
		}
		i := strings.LastIndex(arg, "::")
		if i < 0 {
			return 0, nil
		}
		mod, fn := arg[:i], arg[i+2:]
		if strings.HasPrefix(mod, "Mail::SpamAssassin::Plugin::") {
			return b2f(pluginPresent(mod)), nil
		}
		return b2f(knownFeatures[fn]), nil
	}
	return 0, fmt.Errorf("unknown word %q", word)
}
