package sarules

import (
	"context"
	"os"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkCheckCorpus scores the agreement sample (MAILWALL_SA_CORPUS)
// with the stock rules (and the Hyperscan prefilter when built with it,
// cached in MAILWALL_HS_CACHE if set), on all cores; it reports messages/s, and the
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
	if HyperscanBuilt {
		dir := os.Getenv("MAILWALL_HS_CACHE")
		if dir == "" {
			dir = b.TempDir()
		}
		if _, err := rs.CompileHyperscan(dir); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	// the first pass builds the DFA states: a daemon's first messages
	runtime.LockOSThread()
	coldStart, coldCPU := time.Now(), threadCPU()
	for _, raw := range msgs {
		rs.Check(ctx, NewMessage(raw), CheckOptions{Local: true})
	}
	cold, coldCPU := time.Since(coldStart), threadCPU()-coldCPU
	runtime.UnlockOSThread()
	var durs, cpus []time.Duration
	var total, cpuTotal time.Duration
	// thread CPU time besides wall time: steadier when other work
	// shares the machine
	runtime.LockOSThread()
	for _, raw := range msgs {
		st, c0 := time.Now(), threadCPU()
		rs.Check(ctx, NewMessage(raw), CheckOptions{Local: true})
		durs = append(durs, time.Since(st))
		cpus = append(cpus, threadCPU()-c0)
		total += durs[len(durs)-1]
		cpuTotal += cpus[len(cpus)-1]
	}
	runtime.UnlockOSThread()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	sort.Slice(cpus, func(i, j int) bool { return cpus[i] < cpus[j] })
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
	b.ReportMetric(float64(coldCPU.Microseconds())/1000/float64(len(msgs)), "cold-cpu-mean-ms")
	b.ReportMetric(float64(cpus[len(cpus)/2].Microseconds())/1000, "cpu-median-ms")
	b.ReportMetric(float64(cpuTotal.Microseconds())/1000/float64(len(cpus)), "cpu-mean-ms")
}

// BenchmarkCheckGTUBE scores a small message with the stock rules.
func BenchmarkCheckGTUBE(b *testing.B) {
	rs := loadStock(b)
	for i := 0; i < b.N; i++ {
		rs.Check(context.Background(), NewMessage([]byte(gtube)), CheckOptions{Local: true})
	}
}

// threadCPU is the CPU time of the calling OS thread
// (CLOCK_THREAD_CPUTIME_ID); 0 where unsupported.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
