package config

import (
	"strings"
	"testing"
)

const prefsYAML = `spam:
  tag_score: 4
  reject_score: 15
  rule_actions:
    KR_AD: {action: reject}
  domains:
    Example.ORG:
      required_score: 8
      reject_score: 0
      reject_text: "550 5.7.1 example.org does not want this"
    school.test:
      enabled: false
  recipients:
    ceo@example.org:
      tag_score: 2
      rule_actions:
        KR_AD: {action: none}
        LOCAL_X: {action: quarantine}
`

func TestSpamPrefsMerge(t *testing.T) {
	c, err := Parse("prefs.yaml", []byte(prefsYAML))
	if err != nil {
		t.Fatal(err)
	}
	sc := c.Spam
	d := sc.ForDomain("example.org")
	if d.RequiredScore != 8 || d.TagScore != 0 || d.RejectScore != 0 || d.RejectText != "550 5.7.1 example.org does not want this" ||
		d.RuleActions["KR_AD"].Action != "reject" || !d.Enabled {
		t.Errorf("example.org: %+v", d)
	}
	if s := sc.ForDomain("school.test"); s.Enabled || s.TagScore != 4 {
		t.Errorf("school.test: %+v", s)
	}
	if o := sc.ForDomain("other.test"); o.TagScore != 4 || o.RejectScore != 15 || o.RequiredScore != 5 {
		t.Errorf("other.test: %+v", o)
	}
	r := d.Merged(sc.Recipients["ceo@example.org"])
	if r.TagScore != 2 || r.RequiredScore != 8 || r.RejectScore != 0 {
		t.Errorf("ceo: %+v", r)
	}
	if _, ok := r.RuleActions["KR_AD"]; ok || r.RuleActions["LOCAL_X"].Action != "quarantine" {
		t.Errorf("ceo rule actions: %+v", r.RuleActions)
	}
	if len(sc.RuleActions) != 1 {
		t.Errorf("merging changed the spam section: %+v", sc.RuleActions)
	}
}

func TestSpamPrefsErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"spam:\n  domains:\n    example.org:\n      reject_scor: 5\n", "bad.yaml:4: field reject_scor not found"},
		{"spam:\n  domains:\n    example.org:\n      tag_score: -1\n", "bad.yaml:4: spam.domains[example.org].tag_score: must not be negative"},
		{"spam:\n  domains:\n    example.org:\n      reject_text: \"250 ok\"\n", "bad.yaml:4: spam.domains[example.org].reject_text: must start with a 5xx code"},
		{"spam:\n  domains:\n    example.org:\n      rule_actions:\n        X: {action: burn}\n", "bad.yaml:5: spam.domains[example.org].rule_actions.X.action: must be reject, quarantine, discard, tag or none"},
		{"spam:\n  domains:\n    \"*.example.org\": {}\n", "bad.yaml:3: spam.domains[*.example.org]: not a domain"},
		{"spam:\n  domains:\n    a.test: {}\n    A.TEST: {}\n", "bad.yaml:3: spam.domains[a.test]: same as \"A.TEST\""},
		{"spam:\n  recipients:\n    nobody: {}\n", "bad.yaml:3: spam.recipients[nobody]: not an address"},
		{"spam:\n  quarantine_score: 10\n  domains:\n    a.test:\n      reject_score: 6\n", "bad.yaml:4: spam.domains[a.test]: reject_score 6 is below quarantine_score 10"},
		{"spam:\n  domains:\n    a.test:\n      reject_score: 12\n  recipients:\n    x@a.test:\n      quarantine_score: 20\n", "bad.yaml:6: spam.recipients[x@a.test]: reject_score 12 is below quarantine_score 20"},
		{"spam:\n  enabled: false\n  domains:\n    a.test:\n      enabled: true\n", "bad.yaml:5: spam.domains[a.test].enabled: true needs spam.enabled: true"},
		{"spam:\n  recipients:\n    x@a.test:\n      required_score: 0\n", "bad.yaml:4: spam.recipients[x@a.test].required_score: must be positive"},
	}
	for _, tt := range tests {
		_, err := Parse("bad.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tt.yaml, err, tt.want)
		}
	}
}
