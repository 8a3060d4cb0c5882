package policy

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// reloadEvery: a changed file is noticed within this time. Checking is a
// stat on use, at most this often, so there is no watcher goroutine.
const reloadEvery = time.Second

// watched is a file parsed into T and re-parsed when its modification
// time or size changes. A file that fails to parse on reload keeps the
// previous version in use and is logged.
type watched[T any] struct {
	path  string
	parse func(name string, data []byte) (T, error)
	log   *slog.Logger

	cur       atomic.Pointer[T]
	mu        sync.Mutex // serialises checks
	lastCheck time.Time
	mtime     time.Time
	size      int64
}

func openWatched[T any](path string, log *slog.Logger, parse func(string, []byte) (T, error)) (*watched[T], error) {
	w := &watched[T]{path: path, parse: parse, log: log}
	if err := w.load(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *watched[T]) load() error {
	fi, err := os.Stat(w.path)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	v, err := w.parse(w.path, data)
	if err != nil {
		return err
	}
	w.cur.Store(&v)
	w.mtime, w.size = fi.ModTime(), fi.Size()
	return nil
}

// get returns the current version, reloading first when the file changed.
func (w *watched[T]) get(now time.Time) T {
	if w.mu.TryLock() {
		if now.Sub(w.lastCheck) >= reloadEvery {
			w.lastCheck = now
			w.check()
		}
		w.mu.Unlock()
	}
	return *w.cur.Load()
}

// reload forces a check now (tests, SIGHUP).
func (w *watched[T]) reload() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.load()
}

func (w *watched[T]) check() {
	fi, err := os.Stat(w.path)
	if err != nil {
		w.log.Error("policy file unreadable, keeping the loaded version", "file", w.path, "err", err)
		return
	}
	if fi.ModTime().Equal(w.mtime) && fi.Size() == w.size {
		return
	}
	if err := w.load(); err != nil {
		w.log.Error("policy file reload failed, keeping the loaded version", "file", w.path, "err", err)
		return
	}
	w.log.Info("policy file reloaded", "file", w.path)
}

type accessFile = watched[*accessMap]

func openAccessFile(path string, log *slog.Logger) (*accessFile, error) {
	w, err := openWatched(path, log, parseAccessMap)
	if err != nil {
		return nil, err
	}
	for _, warn := range (*w.cur.Load()).warnings {
		log.Warn("access map", "warning", warn)
	}
	return w, nil
}
