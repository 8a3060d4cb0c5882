package verdict

import (
	"reflect"
	"testing"

	"mailwall/internal/scan"
	"mailwall/internal/smtp"
)

// spamReport is a report with an antivirus result and the spam
// scanner's score (required_score 5) and headers.
func spamReport(score float64, fs ...scan.Finding) *scan.Report {
	return &scan.Report{
		Scanners: []string{"CLAM_VIRUS", ScannerSpam},
		Results: []*scan.Result{
			{Headers: []scan.HeaderField{{Name: "X-Virus-Scanned", Value: "clean"}}},
			{Score: score, Threshold: 5, Findings: fs, Headers: []scan.HeaderField{
				{Name: "X-Spam-Flag", Value: "YES"}, {Name: "X-Spam-Status", Value: "Yes"}}},
		},
	}
}

func TestFor(t *testing.T) {
	dom := &Config{TagScore: 3}
	ceo := &Config{TagScore: 20}
	cfg := &Config{TagScore: 5,
		Domains:    map[string]*Config{"example.org": dom},
		Recipients: map[string]*Config{"ceo@example.org": ceo}}
	for addr, want := range map[string]*Config{
		"ceo@example.org":   ceo, // recipient beats domain
		"CEO@Example.ORG":   ceo, // case-insensitive
		"staff@example.org": dom, // domain beats global
		"x@sub.example.org": cfg, // no subdomain match
		"x@other.test":      cfg, // global
		"no-at-sign":        cfg,
	} {
		if got := cfg.For(addr); got != want {
			t.Errorf("For(%q) = %+v, want %+v", addr, got, want)
		}
	}
}

func TestDecideSpamOff(t *testing.T) {
	off := &Config{SpamOff: true, RejectScore: 5, Rules: map[string]Rule{"GTUBE": {Action: Reject}}}
	tests := []struct {
		name   string
		rep    *scan.Report
		action Action
	}{
		{"score ignored", spamReport(50), Accept},
		{"forced spam rule ignored", spamReport(0, scan.Finding{Symbol: "GTUBE"}), Accept},
		{"spam scanner failure ignored", &scan.Report{Scanners: []string{ScannerSpam},
			Results: []*scan.Result{findings(scan.Finding{Symbol: "SPAM_FAIL"})}}, Accept},
		{"virus still rejected", &scan.Report{Scanners: []string{"CLAM_VIRUS", ScannerSpam},
			Results: []*scan.Result{findings(scan.Finding{Symbol: SymVirus, Detail: "Eicar"}), {Score: 50}}}, Reject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v := Decide(off, tt.rep); v.Action != tt.action || v.Spam {
				t.Errorf("got %v spam=%v, want %v", v.Action, v.Spam, tt.action)
			}
		})
	}
}

func TestView(t *testing.T) {
	rep := spamReport(7)
	names := func(r *scan.Report) (out []string) {
		for _, res := range r.Results {
			if res != nil {
				for _, h := range res.Headers {
					out = append(out, h.Name)
				}
			}
		}
		return out
	}
	on := &Config{}
	tests := []struct {
		name string
		cfg  *Config
		v    Verdict
		want []string
	}{
		{"tagged keeps the flag", on, Verdict{Action: Tag, Spam: true}, []string{"X-Virus-Scanned", "X-Spam-Flag", "X-Spam-Status"}},
		{"untagged loses the flag", on, Verdict{Action: Accept}, []string{"X-Virus-Scanned", "X-Spam-Status"}},
		{"spam off loses the spam headers", &Config{SpamOff: true}, Verdict{Action: Accept}, []string{"X-Virus-Scanned"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(View(tt.cfg, tt.v, rep)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("headers %v, want %v", got, tt.want)
			}
		})
	}
	if got := names(rep); len(got) != 3 {
		t.Errorf("View changed the report: %v", got)
	}
}

func TestPlan(t *testing.T) {
	reject5 := &Config{RejectScore: 5, SpamReject: Rule{Text: "strict domain"}}
	reject8 := &Config{RejectScore: 8, SpamReject: Rule{Text: "lenient domain"}}
	tag5 := &Config{TagScore: 5}
	tag10 := &Config{TagScore: 10}
	quar5 := &Config{QuarantineScore: 5}
	off := &Config{SpamOff: true}
	discard := &Config{Rules: map[string]Rule{"GTUBE": {Action: Discard}}}
	ruleReject := &Config{Rules: map[string]Rule{"GTUBE": {Action: Reject, Text: "no GTUBE here"}}}
	cfg := &Config{TagScore: 5, Domains: map[string]*Config{
		"reject5.test": reject5, "reject8.test": reject8, "tag5.test": tag5, "tag10.test": tag10,
		"quar5.test": quar5, "off.test": off, "discard.test": discard, "rule.test": ruleReject,
	}}
	type group struct {
		action Action
		rcpts  []int
	}
	tests := []struct {
		name   string
		score  float64
		rcpts  []string
		action Action // transaction verdict
		text   string // its reply text, for Reject
		groups []group
	}{
		{"one recipient", 6, []string{"a@tag5.test"}, Tag, "", []group{{Tag, []int{0}}}},
		{"all agree: one group", 6, []string{"a@tag5.test", "b@tag5.test", "c@other.test"}, Tag, "",
			[]group{{Tag, []int{0, 1, 2}}}},
		{"reject and tag: accepted, tagged for one", 6, []string{"a@reject5.test", "b@tag5.test"}, Tag, "",
			[]group{{Reject, []int{0}}, {Tag, []int{1}}}},
		{"all reject: least severe reply (highest reject_score)", 9, []string{"a@reject5.test", "b@reject8.test"}, Reject, "lenient domain",
			[]group{{Reject, []int{0}}, {Reject, []int{1}}}},
		{"all reject: score reject beats rule reject", 9, []string{"a@rule.test", "b@reject5.test"}, Reject, "strict domain",
			[]group{{Reject, []int{0}}, {Reject, []int{1}}}},
		{"all reject: same reply ties to the first", 9, []string{"a@reject5.test", "b@reject5.test"}, Reject, "strict domain",
			[]group{{Reject, []int{0, 1}}}},
		{"quarantine and deliver", 6, []string{"a@quar5.test", "b@tag10.test", "c@quar5.test"}, Accept, "",
			[]group{{Quarantine, []int{0, 2}}, {Accept, []int{1}}}},
		{"tag and untagged split", 7, []string{"a@tag5.test", "b@tag10.test"}, Accept, "",
			[]group{{Tag, []int{0}}, {Accept, []int{1}}}},
		{"spam off gets its own clean copy", 3, []string{"a@off.test", "b@tag5.test"}, Accept, "",
			[]group{{Accept, []int{0}}, {Accept, []int{1}}}},
		{"reject and discard: accepted, dropped for all", 9, []string{"a@reject5.test", "b@discard.test"}, Discard, "",
			[]group{{Reject, []int{0}}, {Discard, []int{1}}}},
		{"below every threshold", 1, []string{"a@reject5.test", "b@quar5.test"}, Accept, "",
			[]group{{Accept, []int{0, 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := spamReport(tt.score)
			if tt.score > 8 {
				rep = spamReport(tt.score, scan.Finding{Symbol: "GTUBE"})
			}
			d := Plan(cfg, rep, tt.rcpts)
			if d.Verdict.Action != tt.action {
				t.Fatalf("transaction = %v (%+v), want %v", d.Verdict.Action, d.Verdict, tt.action)
			}
			if tt.text != "" && (d.Verdict.Err == nil || d.Verdict.Err.Text != tt.text) {
				t.Errorf("reply = %v, want %q", d.Verdict.Err, tt.text)
			}
			var got []group
			for _, g := range d.Groups {
				got = append(got, group{g.Verdict.Action, g.Rcpts})
			}
			if !reflect.DeepEqual(got, tt.groups) {
				t.Errorf("groups = %v, want %v", got, tt.groups)
			}
		})
	}
}

func TestPlanTempFailWins(t *testing.T) {
	// a spam scanner failure tempfails the recipients who want the spam
	// check; the others would accept, but nothing may be lost
	cfg := &Config{Domains: map[string]*Config{"off.test": {SpamOff: true}}}
	rep := &scan.Report{Scanners: []string{ScannerSpam}, Results: []*scan.Result{findings(scan.Finding{Symbol: "SPAM_FAIL"})}}
	d := Plan(cfg, rep, []string{"a@off.test", "b@on.test"})
	if d.Verdict.Action != TempFail || d.Verdict.Err == nil || d.Verdict.Err.Code != 451 {
		t.Fatalf("verdict = %+v, want 451", d.Verdict)
	}
	if d.Verdict.Reason != smtp.ReasonScannerFailed {
		t.Errorf("reason = %q", d.Verdict.Reason)
	}
	if cfg.SpamWanted([]string{"a@off.test"}) || !cfg.SpamWanted([]string{"a@off.test", "b@on.test"}) {
		t.Error("SpamWanted")
	}
}
