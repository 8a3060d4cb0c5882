//go:build unix

package clamav

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
)

// minMmap is the size from which ScanFile maps a file instead of reading
// it: mapping saves zeroing and copying the buffer, which only pays off
// for bigger files.
const minMmap = 64 << 10

// scanMapped scans a regular file of size n through a read-only mapping.
//
// QUIRK: a file truncated by someone else while mapped faults on access;
// SetPanicOnFault turns that into a panic, recovered here into an error,
// instead of killing the process.
func (e *Engine) scanMapped(ctx context.Context, f *os.File, n int64) (res *Result, err error) {
	b, err := syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	defer syscall.Munmap(b)
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("scan %s: file changed while scanned: %v", f.Name(), r)
		}
	}()
	return e.ScanBytes(ctx, b, f.Name())
}
