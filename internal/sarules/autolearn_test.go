package sarules

import (
	"context"
	"reflect"
	"testing"
)

type fixedBayes float64

func (f fixedBayes) SpamProbability(context.Context, *Message) (float64, bool) {
	return float64(f), true
}

// TestAutoLearnPoints: the points SpamAssassin's _get_autolearn_points
// counts: noautolearn and userconf rules left out, learn rules apart (in
// the Bayes score set), metas split by the types of their dependencies,
// autolearn_body/header overriding the type, scores of the set without
// Bayes.
func TestAutoLearnPoints(t *testing.T) {
	rs, diags := LoadText(`header H1 Subject =~ /pills/
score H1 2 2 4 4
body B1 /buy now/
score B1 3
header __H2 From =~ /example/
body __B2 /today/
meta M1 __H2 && __B2
score M1 1
body NOAL /buy/
score NOAL 10
tflags NOAL noautolearn
header UC Subject =~ /pills/
score UC -5
tflags UC userconf
body LRN /now/
score LRN 0 0 1.5 1.5
tflags LRN learn
body FORCED /only/
score FORCED 0.5
tflags FORCED autolearn_force autolearn_header
`)
	for _, d := range diags {
		if d.Severity == Error {
			t.Fatal(d)
		}
	}
	m := NewMessage([]byte("From: a@example.net\nSubject: pills\n\nbuy now, only today\n"))
	res := rs.Check(context.Background(), m, CheckOptions{Local: true, Bayes: fixedBayes(0.5)})
	if res.ScoreSet != 2 {
		t.Fatalf("score set %d", res.ScoreSet)
	}
	got := res.AutoLearnPoints()
	// H1 2 (set 0, not 4) + B1 3 + M1 0.5/0.5 + FORCED 0.5 as header
	want := AutoLearnPoints{Points: 6.5, Head: 3, Body: 3.5, Learned: 1.5, Force: []string{"FORCED"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("points %+v\nwant   %+v (hits %v)", got, want, res.Tests())
	}
}
