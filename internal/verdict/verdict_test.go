package verdict

import (
	"strings"
	"testing"

	"mailwall/internal/scan"
)

func report(results ...*scan.Result) *scan.Report {
	r := &scan.Report{}
	for _, res := range results {
		r.Scanners = append(r.Scanners, "X")
		r.Results = append(r.Results, res)
	}
	return r
}

func findings(fs ...scan.Finding) *scan.Result { return &scan.Result{Findings: fs} }

func TestDecide(t *testing.T) {
	virus := findings(scan.Finding{Symbol: SymVirus, Detail: "Eicar-Test-Signature"})
	avFail := findings(scan.Finding{Symbol: "CLAM_VIRUS_FAIL", Detail: "timeout"})
	spam := func(score float64) *scan.Result { return &scan.Result{Score: score, Threshold: 5} }
	limits := findings(scan.Finding{Symbol: SymLimits, Detail: "Heuristics.Limits.Exceeded.MaxRecursion"})
	tests := []struct {
		name     string
		cfg      Config
		rep      *scan.Report
		action   Action
		code     int
		text     string
		spamFlag bool
		unscan   int
	}{
		{"clean", Config{}, report(findings()), Accept, 0, "", false, 0},
		{"virus default reject", Config{}, report(virus), Reject, 554, "Virus found: Eicar-Test-Signature", false, 0},
		{"virus discard", Config{Virus: Rule{Action: Discard}}, report(virus), Discard, 0, "", false, 0},
		{"virus beats spam", Config{RejectScore: 10}, report(spam(20), virus), Reject, 554, "Virus found: Eicar-Test-Signature", true, 0},
		{"scanner fail tempfails", Config{}, report(avFail), TempFail, 451, "Message could not be scanned, try again later", false, 0},
		{"scanner fail open", Config{Fail: map[string]Rule{"CLAM_VIRUS": {Action: Accept}}}, report(avFail), Accept, 0, "", false, 1},
		{"fail default open", Config{FailDefault: Rule{Action: Accept}}, report(avFail), Accept, 0, "", false, 1},
		{"spam tag by scanner threshold", Config{}, report(spam(6)), Tag, 0, "", true, 0},
		{"spam below", Config{}, report(spam(4.9)), Accept, 0, "", false, 0},
		{"spam quarantine", Config{QuarantineScore: 10}, report(spam(12)), Quarantine, 0, "", true, 0},
		{"spam reject", Config{QuarantineScore: 10, RejectScore: 15}, report(spam(15)), Reject, 550, "Message rejected as spam", true, 0},
		{"forced rule with text", Config{Rules: map[string]Rule{"LOCAL_AD": {Action: Reject, Code: 553, Text: "광고성 스팸메일(Advertisement mail) not accepted"}}},
			report(findings(scan.Finding{Symbol: "LOCAL_AD", Score: 1})), Reject, 553, "광고성 스팸메일(Advertisement mail) not accepted", false, 0},
		{"most severe forced rule wins", Config{Rules: map[string]Rule{"A": {Action: Tag}, "B": {Action: Discard}}},
			report(findings(scan.Finding{Symbol: "A"}, scan.Finding{Symbol: "B"})), Discard, 0, "", false, 0},
		{"limits accepted by default", Config{}, report(limits), Accept, 0, "", false, 0},
		{"limits reject", Config{Limits: Rule{Action: Reject}}, report(limits), Reject, 554, "Message could not be fully scanned: Heuristics.Limits.Exceeded.MaxRecursion", false, 0},
		{"encrypted tagged", Config{Encrypted: Rule{Action: Tag}}, report(findings(scan.Finding{Symbol: SymEncrypted, Detail: "Heuristics.Encrypted.Zip"})), Tag, 0, "", false, 0},
		{"encrypted reject", Config{Encrypted: Rule{Action: Reject}}, report(findings(scan.Finding{Symbol: SymEncrypted, Detail: "Heuristics.Encrypted.Zip"})), Reject, 554, "Message could not be fully scanned: Heuristics.Encrypted.Zip", false, 0},
		{"reply text cannot inject lines", Config{Rules: map[string]Rule{"X": {Action: Reject, Text: "bad\r\n250 ok"}}},
			report(findings(scan.Finding{Symbol: "X"})), Reject, 550, "bad  250 ok", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Decide(&tt.cfg, tt.rep)
			if v.Action != tt.action {
				t.Fatalf("action = %v, want %v (%+v)", v.Action, tt.action, v)
			}
			if v.Spam != tt.spamFlag {
				t.Errorf("spam = %v, want %v", v.Spam, tt.spamFlag)
			}
			if len(v.Unscanned) != tt.unscan {
				t.Errorf("unscanned = %v, want %d", v.Unscanned, tt.unscan)
			}
			if tt.code == 0 {
				if v.Err != nil {
					t.Errorf("unexpected reply %v", v.Err)
				}
				return
			}
			if v.Err == nil || v.Err.Code != tt.code || v.Err.Text != tt.text {
				t.Errorf("reply = %+v, want %d %q", v.Err, tt.code, tt.text)
			}
		})
	}
}

func TestParseAction(t *testing.T) {
	for _, n := range []string{"accept", "tag", "quarantine", "discard", "tempfail", "reject", "REJECT"} {
		a, err := ParseAction(n)
		if err != nil || !strings.EqualFold(a.String(), n) {
			t.Errorf("ParseAction(%q) = %v, %v", n, a, err)
		}
	}
	if _, err := ParseAction(""); err == nil {
		t.Error("empty action accepted")
	}
}
