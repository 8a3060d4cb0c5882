package spool

import "sync"

// dirSyncer shares directory fsyncs between concurrent commits (group
// commit): a commit needs some fsync of the directory that started after its
// rename. While one fsync runs, later callers wait and then share the next
// one, so N concurrent commits cost about two directory fsyncs, not N.
type dirSyncer struct {
	dir string

	mu        sync.Mutex
	cond      *sync.Cond
	started   uint64 // fsyncs started so far; they are numbered from 1
	completed uint64 // number of the last finished fsync
	running   bool
	err       error // result of fsync number completed
}

func newDirSyncer(dir string) *dirSyncer {
	d := &dirSyncer{dir: dir}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// sync returns once an fsync of the directory that started after the call
// has finished, with that fsync's error.
func (d *dirSyncer) sync() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	need := d.started + 1 // fsyncs up to d.started may predate our rename
	for d.completed < need {
		if d.running {
			d.cond.Wait()
			continue
		}
		d.running = true
		d.started++
		n := d.started
		d.mu.Unlock()
		err := syncDir(d.dir)
		d.mu.Lock()
		d.running = false
		d.completed, d.err = n, err
		d.cond.Broadcast()
	}
	return d.err
}
