package clamav

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// genBenchDB writes a database shaped like the shared bench's make_db.py:
// EICAR plus nNDB random body signatures (~20% with wildcards), nLDB
// logical signatures of 2-3 subsignatures, nHDB random MD5 signatures.
func genBenchDB(tb testing.TB, dir string, nNDB, nLDB, nHDB int) {
	tb.Helper()
	r := rand.New(rand.NewSource(7))
	hexs := func(n int) string {
		b := make([]byte, n)
		r.Read(b)
		return hex.EncodeToString(b)
	}
	families := []string{"Trojan", "Win.Trojan", "Doc.Downloader", "Html.Phishing", "Email.Malware"}
	var ndb, ldb, hdb strings.Builder
	fmt.Fprintf(&ndb, "Bench.Eicar-Test-Signature:0:*:%s\n", hx(eicar))
	targets := []int{0, 0, 0, 0, 0, 0, 1, 1, 3, 4, 7}
	for i := 0; i < nNDB; i++ {
		sig := hexs(6 + r.Intn(11))
		if r.Float64() < 0.2 {
			for k := 0; k < 1+r.Intn(2); k++ {
				switch r.Intn(4) {
				case 0:
					sig += "??"
				case 1:
					sig += "*"
				case 2:
					sig += fmt.Sprintf("{%d-%d}", r.Intn(5), 5+r.Intn(16))
				default:
					sig += fmt.Sprintf("(%s|%s)", hexs(1), hexs(1))
				}
				sig += hexs(4 + r.Intn(9))
			}
		} else {
			sig += hexs(6 + r.Intn(19))
		}
		off := "*"
		if r.Float64() >= 0.9 {
			off = "0"
		}
		fmt.Fprintf(&ndb, "Bench.%s.Body-%d:%d:%s:%s\n", families[r.Intn(len(families))], i, targets[r.Intn(len(targets))], off, sig)
	}
	for i := 0; i < nLDB; i++ {
		k := 2 + r.Intn(2)
		subs := make([]string, k)
		idx := make([]string, k)
		for j := range subs {
			subs[j], idx[j] = hexs(8+r.Intn(13)), fmt.Sprint(j)
		}
		op := "&"
		if r.Float64() >= 0.7 {
			op = "|"
		}
		fmt.Fprintf(&ldb, "Bench.Logic-%d;Engine:51-255,Target:0;%s;%s\n", i, strings.Join(idx, op), strings.Join(subs, ";"))
	}
	fmt.Fprintf(&hdb, "%x:%d:Bench.Eicar-hdb\n", md5.Sum([]byte(eicar)), len(eicar))
	for i := 0; i < nHDB; i++ {
		fmt.Fprintf(&hdb, "%s:%d:Bench.Hash-%d\n", hexs(16), 100+r.Intn(5_000_000), i)
	}
	for name, s := range map[string]string{"bench.ndb": ndb.String(), "bench.ldb": ldb.String(), "bench.hdb": hdb.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// benchCorpus is a mix: pseudo-random binary, English-like text, HTML and
// a PE, each 1 MB.
func benchCorpus() [][]byte {
	r := rand.New(rand.NewSource(1))
	bin := make([]byte, 1<<20)
	r.Read(bin)
	words := []string{"the ", "mail ", "gateway ", "scans ", "every ", "message ", "for ", "viruses\n", "and ", "spam. "}
	var text bytes.Buffer
	for text.Len() < 1<<20 {
		text.WriteString(words[r.Intn(len(words))])
	}
	html := []byte("<html><body>" + strings.Repeat("<p>Hello <b>world</b> &amp; friends</p>\n", (1<<20)/40) + "</body></html>")
	pe := make([]byte, 1<<20)
	copy(pe, "MZ")
	for i := 0x400; i < len(pe); i += 7 {
		pe[i] = byte(i * 31)
	}
	return [][]byte{bin, text.Bytes(), html, pe}
}

func loadBenchDB(b *testing.B) *DB {
	b.Helper()
	dir := b.TempDir()
	genBenchDB(b, dir, 10000, 500, 100000)
	db, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	genBenchDB(b, dir, 10000, 500, 100000)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		db, err := Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/load")
		b.ReportMetric(float64(db.Signatures()), "sigs")
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	db, _ := Load(dir)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MB-heap")
	runtime.KeepAlive(db)
}

func BenchmarkScan(b *testing.B) {
	db := loadBenchDB(b)
	e := NewEngine(db, DefaultOptions())
	corpus := benchCorpus()
	for _, f := range []struct {
		name string
		data []byte
	}{{"binary", corpus[0]}, {"text", corpus[1]}, {"html", corpus[2]}, {"pe", corpus[3]}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(f.data)))
			for i := 0; i < b.N; i++ {
				r, err := e.ScanBytes(context.Background(), f.data, "")
				if err != nil || r.Infected {
					b.Fatalf("%v %+v", err, r)
				}
			}
		})
	}
}

// BenchmarkCorpus scans every file under $MAILWALL_BENCH_CORPUS, one file
// at a time from disk, with the database in $MAILWALL_BENCH_DB (for
// example make_db.py's output): the inputs a clamd run is timed on. Beside
// wall-clock MB/s it reports MB per CPU-second (fair on a shared machine,
// comparable with clamd's CPU time from /proc) and the peak RSS.
func BenchmarkCorpus(b *testing.B) {
	dbDir, corpus := os.Getenv("MAILWALL_BENCH_DB"), os.Getenv("MAILWALL_BENCH_CORPUS")
	if dbDir == "" || corpus == "" {
		b.Skip("set MAILWALL_BENCH_DB and MAILWALL_BENCH_CORPUS")
	}
	db, err := Load(dbDir)
	if err != nil {
		b.Fatal(err)
	}
	var files []string
	var total int64
	filepath.WalkDir(corpus, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if st, err := d.Info(); err == nil {
				files = append(files, p)
				total += st.Size()
			}
		}
		return nil
	})
	e := NewEngine(db, DefaultOptions())
	b.SetBytes(total)
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			if _, err := e.ScanFile(context.Background(), f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	cpu := cpuSeconds() - cpu0
	b.ReportMetric(float64(total)*float64(b.N)/(1<<20)/cpu, "MB/cpu-s")
	b.ReportMetric(float64(len(files)*b.N)/cpu, "files/cpu-s")
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "MB-maxrss")
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
