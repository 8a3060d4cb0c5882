package unpack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bodgit/sevenzip"
)

// # 7z
//
// Via bodgit/sevenzip. An archive whose header is encrypted cannot be
// listed and returns ErrEncrypted; a member that fails to read with the
// library's encryption hint is emitted as Encrypted.
func extract7z(ctx context.Context, data []byte, x *run) error {
	if !bytes.HasPrefix(data, []byte("7z\xbc\xaf\x27\x1c")) {
		return fmt.Errorf("7z: no signature")
	}
	return recoverLib("7z", func() error { return x.sevenZip(ctx, data) })
}

func (x *run) sevenZip(ctx context.Context, data []byte) error {
	zr, err := sevenzip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "encrypt") {
			return fmt.Errorf("7z header: %w", ErrEncrypted)
		}
		return fmt.Errorf("7z header: %w", err)
	}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if err := x.check(ctx); err != nil {
			return err
		}
		if f.UncompressedSize > uint64(x.fileCap()) {
			return &LimitError{Limit: "MaxFileSize", Detail: f.Name}
		}
		rc, err := f.Open()
		if err != nil {
			return x.put7zError(ctx, f.Name, err)
		}
		out, err := x.read(ctx, rc, int64(f.UncompressedSize))
		rc.Close()
		var re sevenzip.ReadError
		if errors.As(err, &re) && re.Encrypted {
			if err := x.put(ctx, Entry{Name: f.Name, Encrypted: true}); err != nil {
				return err
			}
			continue
		}
		if err := x.putPartial(ctx, f.Name, out, err); err != nil {
			return err
		}
	}
	return nil
}

func (x *run) put7zError(ctx context.Context, name string, err error) error {
	var re sevenzip.ReadError
	if errors.As(err, &re) && re.Encrypted || strings.Contains(err.Error(), "password") {
		return x.put(ctx, Entry{Name: name, Encrypted: true})
	}
	return fmt.Errorf("7z %s: %w", name, err)
}
