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
	stopAtFirst := name == "SCAN" || name == "ALLMATCHSCAN"
	workers := 1
	if name == "MULTISCAN" {
		workers = runtime.GOMAXPROCS(0)
	}
	reported := false
	h.scanTree(ctx, path, all, workers, func(p string, names []string, err error) bool {
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

// errDirectory marks a directory that could not be read.
var errDirectory = errors.New("Can't open directory.")

// treeJob is one file of a directory scan; done is closed when its
// result is in.
type treeJob struct {
	path  string
	names []string
	err   error
	done  chan struct{}
}

// scanTree walks dir in lexical order without following symbolic links
// (clamd's FollowDirectorySymlinks/FollowFileSymlinks default), scans the
// regular files with up to workers at once, and calls emit for each in
// walk order; emit returning false stops the walk. The walk streams: only
// a window of 2*workers files is in flight, whatever the tree's size.
func (h *handler) scanTree(ctx context.Context, dir string, all bool, workers int, emit func(string, []string, error) bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	order := make(chan *treeJob, 2*workers)
	work := make(chan *treeJob)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range work {
				j.names, j.err = h.s.scanner.ScanFile(ctx, j.path, all)
				h.s.scanned.Add(1)
				close(j.done)
			}
		})
	}
	go func() {
		defer close(order)
		defer close(work)
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if ctx.Err() != nil {
				return filepath.SkipAll
			}
			var j *treeJob
			switch {
			case err != nil && d != nil && d.IsDir():
				j = &treeJob{path: p, err: errDirectory, done: make(chan struct{})}
				close(j.done)
			case err != nil || !d.Type().IsRegular():
				return nil
			default:
				j = &treeJob{path: p, done: make(chan struct{})}
			}
			select {
			case order <- j:
			case <-ctx.Done():
				return filepath.SkipAll
			}
			if j.err == nil {
				select {
				case work <- j:
				case <-ctx.Done():
					return filepath.SkipAll
				}
			}
			return nil
		})
	}()
	for j := range order {
		select {
		case <-j.done:
		case <-ctx.Done():
		}
		if ctx.Err() != nil || !emit(j.path, j.names, j.err) {
			cancel()
			break
		}
	}
	cancel()
	for range order {
	}
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
