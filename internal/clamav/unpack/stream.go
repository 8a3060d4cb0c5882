package unpack

import (
	"bytes"
	"compress/bzip2"
	"context"
	"fmt"
	"github.com/klauspost/compress/gzip"

	"github.com/ulikunitz/xz"
)

// # Single-stream formats
//
// gzip (RFC 1952), bzip2 and xz each wrap one stream; the member is named
// from the gzip FNAME field when present. Concatenated gzip members are read
// as one stream, as gunzip does.

func extractGzip(ctx context.Context, data []byte, x *run) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("gzip header: %w", err)
	}
	out, err := x.read(ctx, zr, -1)
	return x.putPartial(ctx, zr.Name, out, err)
}

func extractBzip2(ctx context.Context, data []byte, x *run) error {
	out, err := x.read(ctx, bzip2.NewReader(bytes.NewReader(data)), -1)
	return x.putPartial(ctx, "", out, err)
}

func extractXz(ctx context.Context, data []byte, x *run) error {
	zr, err := xz.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("xz header: %w", err)
	}
	out, err := x.read(ctx, zr, -1)
	return x.putPartial(ctx, "", out, err)
}
