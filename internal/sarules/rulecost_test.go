package sarules

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"
)

// TestRuleCost reports where Check spends its time on the agreement
// sample: message parsing, then every rule run on its own, most expensive
// first. It only reports (MAILWALL_SA_RULECOST=N prints the top N).
func TestRuleCost(t *testing.T) {
	top := 0
	fmt.Sscan(os.Getenv("MAILWALL_SA_RULECOST"), &top)
	if top <= 0 {
		t.Skip("MAILWALL_SA_RULECOST not set")
	}
	_, files := corpusSample(t)
	rs := loadStock(t)
	cost := map[string]time.Duration{}
	var parse, check time.Duration
	var per []time.Duration
	type slow struct {
		f string
		d time.Duration
	}
	var slowest []slow
	for _, f := range files { // warm the lazy DFAs
		if raw, err := os.ReadFile(f); err == nil {
			rs.Check(context.Background(), NewMessage(raw), CheckOptions{Local: true})
		}
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		st := time.Now()
		m := NewMessage(raw)
		parse += time.Since(st)
		st = time.Now()
		rs.Check(context.Background(), m, CheckOptions{Local: true})
		d := time.Since(st)
		check += d
		per = append(per, d)
		slowest = append(slowest, slow{f, d})
		res := &Result{rs: rs, m: m}
		p := &pms{ctx: context.Background(), rs: rs, m: m, o: CheckOptions{Local: true, Now: time.Now()},
			gets: map[string]*subjectText{}, getByID: make([]*subjectText, len(rs.getReqs)), computed: make([]bool, len(rs.order)), vals: make([]float64, len(rs.order)), runs: rs.runTable(0), res: res}
		p.body = subjects(m.body)
		p.raw = subjects(m.rawbody)
		p.uris = subjects(m.uris)
		p.full = newSubject(string(m.Raw))
		for _, r := range rs.order {
			if r.Type == TypeMeta || !r.runs(0) {
				continue
			}
			st := time.Now()
			if r.Eval != "" {
				p.runEval(r, res)
			} else {
				p.runPattern(r)
			}
			cost[r.Name] += time.Since(st)
		}
	}
	sort.Slice(per, func(i, j int) bool { return per[i] < per[j] })
	n := len(files)
	t.Logf("%d messages: parse %.2f ms/msg, check %.2f ms/msg, check median %.2f ms",
		n, ms(parse)/float64(n), ms(check)/float64(n), ms(per[n/2]))
	sort.Slice(slowest, func(i, j int) bool { return slowest[i].d > slowest[j].d })
	for _, s := range slowest[:min(top, 10, len(slowest))] {
		t.Logf("slowest: %.2f ms %s", ms(s.d), s.f)
	}
	type kv struct {
		k string
		v time.Duration
	}
	var l []kv
	var sum time.Duration
	for k, v := range cost {
		l = append(l, kv{k, v})
		sum += v
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v })
	t.Logf("all rules alone: %.2f ms/msg", ms(sum)/float64(n))
	// by kind: type, then eval, literal-prefiltered or unfiltered regex
	byKind, rulesOf := map[string]time.Duration{}, map[string]int{}
	for k, v := range cost {
		r := rs.rules[k]
		kind := r.Type.String()
		switch {
		case r.Eval != "":
			kind += " eval"
		case r.Re != nil && r.Re.lits != nil:
			kind += " prefiltered"
		default:
			kind += " unfiltered"
		}
		byKind[kind] += v
		rulesOf[kind]++
	}
	var kinds []kv
	for k, v := range byKind {
		kinds = append(kinds, kv{k, v})
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].v > kinds[j].v })
	for _, k := range kinds {
		t.Logf("%8.3f ms/msg %4d rules %s", ms(k.v)/float64(n), rulesOf[k.k], k.k)
	}
	for i := 0; i < top && i < len(l); i++ {
		r := rs.rules[l[i].k]
		kind := r.Type.String()
		if r.Eval != "" {
			kind += " eval:" + r.Eval
		} else if r.Re != nil {
			kind += fmt.Sprintf(" bt=%v lits=%q", r.Re.Backtracking(), r.Re.lits)
		}
		t.Logf("%8.3f ms/msg %-28s %s", ms(l[i].v)/float64(n), l[i].k, kind)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
