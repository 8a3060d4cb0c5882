package virus

import (
	"context"
	"io"

	"mailwall/internal/clamd"
)

// Clamd is an Engine that asks an external clamd with INSTREAM.
type Clamd struct {
	Client *clamd.Client
}

var _ Engine = (*Clamd)(nil)

// ScanReader streams r to clamd; name is not sent.
func (c *Clamd) ScanReader(ctx context.Context, r io.Reader, _ string) (Verdict, error) {
	names, err := c.Client.Instream(ctx, r)
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Names: names}, nil
}
