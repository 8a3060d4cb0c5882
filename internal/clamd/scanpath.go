package clamd

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
)

// scanPath serves SCAN, CONTSCAN, MULTISCAN and ALLMATCHSCAN.
func (h *handler) scanPath(ctx context.Context, f Framing, name, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		h.reply(f, path+": File path check failure: "+strerror(err)+". ERROR")
		return
	}
	all := name == "ALLMATCHSCAN"
	if !fi.IsDir() {
		names, err := h.s.scanner.ScanFile(ctx, path, all)
		h.s.scanned.Add(1)
		for _, line := range result(path, names, err) {
			h.reply(f, line)
		}
		return
	}
	files, walkErrs := listFiles(path)
	reported := false
	for _, line := range walkErrs {
		h.reply(f, line)
		reported = true
	}
	stopAtFirst := name == "SCAN" || name == "ALLMATCHSCAN"
	workers := 1
	if name == "MULTISCAN" {
		workers = runtime.GOMAXPROCS(0)
	}
	h.scanFiles(ctx, files, all, workers, func(p string, names []string, err error) bool {
		if err == nil && len(names) == 0 {
			return true
		}
		for _, line := range result(p, names, err) {
			h.reply(f, line)
		}
		reported = true
		return !(stopAtFirst && len(names) > 0) && h.err == nil
	})
	if !reported {
		h.reply(f, path+": OK")
	}
}

// listFiles returns the regular files under dir in lexical order, plus an
// error reply for each directory it could not read. Symbolic links are not
// followed, as clamd's FollowDirectorySymlinks/FollowFileSymlinks default.
func listFiles(dir string) (files, errs []string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, p+": Can't open directory. ERROR")
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	return files, errs
}

// scanFiles scans files with up to workers at once and calls emit in file
// order; emit returning false stops the scan.
func (h *handler) scanFiles(ctx context.Context, files []string, all bool, workers int, emit func(string, []string, error) bool) {
	type res struct {
		names []string
		err   error
		done  chan struct{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]res, len(files))
	for i := range results {
		results[i].done = make(chan struct{})
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i].names, results[i].err = h.s.scanner.ScanFile(ctx, files[i], all)
				h.s.scanned.Add(1)
				close(results[i].done)
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range files {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for i := range files {
		<-results[i].done
		if !emit(files[i], results[i].names, results[i].err) {
			break
		}
	}
	cancel()
	wg.Wait()
}

// strerror words an OS error as C's strerror does ("No such file or
// directory"), which is what clamd puts in its replies.
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	s := errno.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
