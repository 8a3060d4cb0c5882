package clamd

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkInstream measures the protocol path (dial, framing, chunk
// decoding, reply) of a 256 KiB stream with a scanner that only reads.
func BenchmarkInstream(b *testing.B) {
	for _, network := range []string{"unix", "tcp"} {
		b.Run(network, func(b *testing.B) {
			ts := startServer(b, ServerOptions{})
			addr := ts.tcp
			if network == "unix" {
				addr = "unix:" + ts.unix
			}
			c := NewClient(addr)
			data := bytes.Repeat([]byte("0123456789abcdef"), 16<<10)
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Instream(context.Background(), bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
