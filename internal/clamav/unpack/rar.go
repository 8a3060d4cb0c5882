package unpack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nwaples/rardecode/v2"
)

// rarMaxDict bounds the decoder's window allocation: RAR5 declares up to
// 4 GiB, far beyond what any member we would scan needs.
const rarMaxDict = 64 << 20

// # RAR
//
// RAR 1.5-5 via nwaples/rardecode. Encrypted headers return ErrEncrypted;
// encrypted members are emitted as Encrypted.
func extractRar(ctx context.Context, data []byte, x *run) error {
	// QUIRK: rardecode searches for the signature and spins forever on some
	// short inputs without one; SFX archives (signature later) are not read.
	if !bytes.HasPrefix(data, []byte("Rar!\x1a\x07")) {
		return fmt.Errorf("rar: no signature at offset 0")
	}
	return recoverLib("rar", func() error { return x.rar(ctx, data) })
}

func (x *run) rar(ctx context.Context, data []byte) error {
	rr, err := rardecode.NewReader(bytes.NewReader(data), rardecode.MaxDictionarySize(rarMaxDict))
	if err != nil {
		return fmt.Errorf("rar header: %w", err)
	}
	for {
		if err := x.check(ctx); err != nil {
			return err
		}
		h, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, rardecode.ErrBadPassword) {
			return fmt.Errorf("rar: %w", ErrEncrypted)
		}
		if err != nil {
			return fmt.Errorf("rar: %w", err)
		}
		if h.IsDir {
			continue
		}
		if h.Encrypted {
			if err := x.put(ctx, Entry{Name: h.Name, Encrypted: true}); err != nil {
				return err
			}
			continue
		}
		hint := h.UnPackedSize
		if h.UnKnownSize {
			hint = -1
		}
		out, err := x.read(ctx, rr, hint)
		if err := x.putPartial(ctx, h.Name, out, err); err != nil {
			return err
		}
	}
}
