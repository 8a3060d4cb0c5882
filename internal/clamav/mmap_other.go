//go:build !unix

package clamav

import (
	"context"
	"errors"
	"os"
)

const minMmap = 1<<63 - 1

func (e *Engine) scanMapped(ctx context.Context, f *os.File, n int64) (*Result, error) {
	return nil, errors.New("mmap not supported")
}
