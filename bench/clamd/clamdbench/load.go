package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mailwall/internal/clamd"
)

// load streams every file of the list (passes times) to a clamd with
// zINSTREAM, parallel connections at once, one connection per file, and
// prints one line of figures.
func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	sock := fs.String("sock", "", "clamd unix socket (or unix:/path, host:port)")
	listFile := fs.String("list", "", "file with one path per line")
	parallel := fs.Int("parallel", 4, "connections in flight")
	passes := fs.Int("passes", 1, "times the list is sent")
	fs.Parse(args)
	data, err := os.ReadFile(*listFile)
	if err != nil {
		return err
	}
	var files []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			for range *passes {
				files = append(files, l)
			}
		}
	}
	// Read every file once so both daemons are measured on a warm cache
	// and the client does no disk I/O while measuring.
	bodies := map[string][]byte{}
	for _, f := range files {
		if _, ok := bodies[f]; !ok {
			if bodies[f], err = os.ReadFile(f); err != nil {
				return err
			}
		}
	}
	c := clamd.NewClient(*sock)
	var next, found, errs, nbytes atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	t0 := time.Now()
	for range *parallel {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if int(i) >= len(files) {
					return
				}
				b := bodies[files[i]]
				t := time.Now()
				names, err := c.Instream(context.Background(), strings.NewReader(string(b)))
				d := time.Since(t)
				switch {
				case err != nil:
					if errs.Add(1) <= 3 {
						fmt.Fprintf(os.Stderr, "error: %s: %v\n", files[i], err)
					}
				case len(names) > 0:
					found.Add(1)
				}
				nbytes.Add(int64(len(b)))
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	fmt.Printf("files=%d bytes=%d secs=%.3f files_per_s=%.2f mb_per_s=%.2f found=%d errors=%d p50_ms=%.1f p95_ms=%.1f\n",
		len(files), nbytes.Load(), secs, float64(len(files))/secs, float64(nbytes.Load())/1e6/secs,
		found.Load(), errs.Load(), pct(.5), pct(.95))
	return nil
}
