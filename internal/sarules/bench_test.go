package sarules

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"
)

// BenchmarkCheckCorpus scores the agreement sample (MAILWALL_SA_CORPUS)
// with the stock rules, on all cores; it reports messages/s, and the
// median and mean time per message of a sequential pass after a warm-up
// pass (the lazy DFAs fill their caches on first use).
func BenchmarkCheckCorpus(b *testing.B) {
	if os.Getenv("MAILWALL_SA_CORPUS") == "" {
		b.Skip("MAILWALL_SA_CORPUS not set")
	}
	t := &testing.T{}
	_, files := corpusSample(t)
	var msgs [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err == nil {
			msgs = append(msgs, raw)
		}
	}
	rs := loadStock(b)
	ctx := context.Background()
	// the first pass builds the DFA states: a daemon's first messages
	coldStart := time.Now()
	for _, raw := range msgs {
		rs.Check(ctx, NewMessage(raw), CheckOptions{Local: true})
	}
	cold := time.Since(coldStart)
	var durs []time.Duration
	var total time.Duration
	for _, raw := range msgs {
		st := time.Now()
		rs.Check(ctx, NewMessage(raw), CheckOptions{Local: true})
		durs = append(durs, time.Since(st))
		total += durs[len(durs)-1]
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			rs.Check(ctx, NewMessage(msgs[i%len(msgs)]), CheckOptions{Local: true})
			i++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(total.Microseconds())/1000/float64(len(durs)), "mean-ms")
	b.ReportMetric(float64(cold.Microseconds())/1000/float64(len(durs)), "cold-mean-ms")
}

// BenchmarkCheckGTUBE scores a small message with the stock rules.
func BenchmarkCheckGTUBE(b *testing.B) {
	rs := loadStock(b)
	for i := 0; i < b.N; i++ {
		rs.Check(context.Background(), NewMessage([]byte(gtube)), CheckOptions{Local: true})
	}
}
