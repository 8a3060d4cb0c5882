package sarules

import (
	"math"
	"strings"
)

// AutoLearnSettings are bayes_auto_learn, bayes_auto_learn_on_error and
// the two thresholds, as the rule files set them. The decision itself is
// bayes.AutoLearn's; the rule engine only supplies the points.
type AutoLearnSettings struct {
	Enabled       bool    // bayes_auto_learn (default on)
	OnError       bool    // bayes_auto_learn_on_error
	HamThreshold  float64 // bayes_auto_learn_threshold_nonspam (0.1)
	SpamThreshold float64 // bayes_auto_learn_threshold_spam (12.0)
}

// Autolearn statuses as SpamAssassin reports them in _AUTOLEARN_.
const (
	AutolearnSpam        = "spam"        // learned as spam
	AutolearnHam         = "ham"         // learned as ham
	AutolearnNo          = "no"          // not clear enough to learn
	AutolearnUnavailable = "unavailable" // wanted, but Bayes could not take it (busy, already learned)
	AutolearnDisabled    = "disabled"    // bayes_auto_learn or Bayes off
	AutolearnFailed      = "failed"      // learning returned an error
)

// AutoLearnPoints are the points of one check as SpamAssassin's
// _get_autolearn_points counts them: rules with tflags noautolearn,
// userconf or learn do not count, scores come from the score set without
// Bayes, and metas split their points between head and body by the
// types of their direct dependencies.
type AutoLearnPoints struct {
	Points     float64 // total, rounded to 3 decimals
	Head, Body float64
	// Learned are the points of tflags learn rules (BAYES_*), in the
	// score set the check used.
	Learned float64
	// Force names the hit rules with tflags autolearn_force.
	Force []string
}

// AutoLearnPoints computes the points for auto-learning.
func (r *Result) AutoLearnPoints() AutoLearnPoints {
	var out AutoLearnPoints
	if r.rs == nil {
		return out
	}
	set := r.ScoreSet &^ 2
	for _, h := range r.Hits {
		rule := r.rs.rules[h.Name]
		if rule == nil || rule.NoAutoLearn || rule.UserConf {
			continue
		}
		if rule.Learn {
			out.Learned += rule.scores[r.ScoreSet&3]
			continue
		}
		flags := strings.Fields(rule.Tflags)
		force := ""
		for _, f := range flags {
			switch f {
			case "autolearn_force":
				out.Force = append(out.Force, h.Name)
			case "autolearn_body":
				force = "body"
			case "autolearn_header":
				force = "head"
			}
		}
		sc := rule.scores[set]
		if sc == 0 {
			continue
		}
		typ := force
		if typ == "" {
			typ = learnType(rule)
		}
		switch typ {
		case "head":
			out.Head += sc
		case "body":
			out.Body += sc
		case "meta":
			nh, nb := 0, 0
			for _, d := range rule.Meta.deps {
				switch learnType(r.rs.rules[d]) {
				case "head":
					nh++
				case "body":
					nb++
				}
			}
			if n := nh + nb; n > 0 {
				out.Head += round3(sc * float64(nh) / float64(n))
				out.Body += round3(sc * float64(nb) / float64(n))
			}
		}
		out.Points += sc
	}
	out.Points = round3(out.Points)
	return out
}

// learnType is _get_autolearn_testtype: head, body or meta ("" for full
// and mimeheader rules, which count for neither).
func learnType(r *Rule) string {
	if r == nil {
		return ""
	}
	switch r.Type {
	case TypeHeader:
		return "head"
	case TypeBody, TypeRawbody, TypeURI:
		return "body"
	case TypeMeta:
		if r.Meta != nil {
			return "meta"
		}
	}
	return ""
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// SetAutolearn records the auto-learn outcome and renders the add_header
// fields again so X-Spam-Status and _AUTOLEARN_ show it. force are the
// autolearn_force rules behind a decision to learn; SpamAssassin adds
// "autolearn_force=no" or "autolearn_force=yes (NAMES)" to every status
// except disabled.
func (r *Result) SetAutolearn(status string, force []string) {
	if status != AutolearnDisabled {
		if len(force) > 0 {
			status += " autolearn_force=yes (" + strings.Join(force, ",") + ")"
		} else {
			status += " autolearn_force=no"
		}
	}
	r.Autolearn = status
	if r.rs != nil {
		r.Headers = r.renderHeaders()
	}
}

// AutoLearnSettings returns the rule files' auto-learn settings.
func (r *Result) AutoLearnSettings() AutoLearnSettings {
	if r.rs == nil {
		return AutoLearnSettings{}
	}
	return r.rs.AutoLearn
}
