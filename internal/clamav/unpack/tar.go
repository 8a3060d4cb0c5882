package unpack

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// # tar
//
// POSIX ustar, GNU and PAX archives via archive/tar. Only regular files are
// members; the declared size is checked against MaxFileSize before reading.
func extractTar(ctx context.Context, data []byte, x *run) error {
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		if err := x.check(ctx); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tar header: %w", err)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA && h.Typeflag != tar.TypeGNUSparse {
			continue
		}
		out, err := x.read(ctx, tr, h.Size)
		if err := x.putPartial(ctx, h.Name, out, err); err != nil {
			return err
		}
	}
}
