package clamd

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"
)

func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{
		"zPING\x00", "nPING\n", "PING\n", "PING", "zSCAN /tmp/x\x00", "nSCAN \n",
		"zIDSESSION\x00zPING\x00zEND\x00", "INSTREAM\n", "zALLMATCHSCAN /a b\x00",
		"z\x00", "n\n", "\n", "zPING extra\x00", "SCAN\r\n", "zVERSIONCOMMANDS",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		for range 100 {
			c, err := readCommand(r)
			if err != nil {
				return
			}
			if c.Name != "" && !slices.Contains(commandNames, c.Name) {
				t.Fatalf("unknown name %q accepted", c.Name)
			}
			if c.Arg != "" && !withPath[c.Name] {
				t.Fatalf("%s got argument %q", c.Name, c.Arg)
			}
			if c.Framing == FramePlain && prefixOnly[c.Name] {
				t.Fatalf("%s accepted without z/n prefix", c.Name)
			}
		}
	})
}

// pipeConn gives a chunkReader a net.Conn whose deadlines are no-ops.
type pipeConn struct{ net.Conn }

func (pipeConn) SetReadDeadline(time.Time) error { return nil }

func FuzzChunkReader(f *testing.F) {
	f.Add(stream([]byte("hello world"), 3), int64(100))
	f.Add(stream(make([]byte, 50), 50), int64(10))
	f.Add([]byte{0, 0, 0}, int64(10))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, int64(1<<20))
	f.Fuzz(func(t *testing.T, data []byte, max int64) {
		if max <= 0 {
			max = 1
		}
		cr := &chunkReader{r: bufio.NewReader(bytes.NewReader(data)), c: pipeConn{}, max: max}
		got, err := io.ReadAll(cr)
		if int64(len(got)) > max {
			t.Fatalf("read %d bytes past the limit %d", len(got), max)
		}
		if err == nil {
			// A complete stream: re-framing what was read must give the
			// same bytes as the input's framed prefix decodes to.
			var want []byte
			rest := data
			for len(rest) >= 4 {
				n := binary.BigEndian.Uint32(rest)
				if n == 0 {
					break
				}
				want = append(want, rest[4:4+n]...)
				rest = rest[4+n:]
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("decoded %q, want %q", got, want)
			}
		} else if !errors.Is(err, errStreamLimit) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
