package clamav

import (
	"context"
	"sync"
	"testing"
)

// TestConcurrentScans runs scans of different inputs on one Engine at once
// (meant for -race).
func TestConcurrentScans(t *testing.T) {
	e := eicarEngine(t, DefaultOptions())
	inputs := [][]byte{
		[]byte(eicar),
		[]byte("<html><body>clean</body></html>"),
		[]byte("plain text, clean"),
		zipOf(t, map[string][]byte{"e.com": []byte(eicar)}),
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				in := inputs[(g+i)%len(inputs)]
				r, err := e.ScanBytes(context.Background(), in, "")
				want := (g+i)%len(inputs) == 0 || (g+i)%len(inputs) == 3
				if err != nil || r.Infected != want {
					errs <- "unexpected result"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
