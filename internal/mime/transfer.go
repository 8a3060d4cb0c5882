package mime

import (
	"bufio"
	"bytes"
	"io"
)

// # Transfer encodings (RFC 2045 6)
//
// The decoders stream and never fail on bad input: base64 skips characters
// outside its alphabet (as clients do), quoted-printable passes a "=" that
// does not start an escape through as is, and uuencode decodes the lines
// between "begin" and "end".

const chunk = 4096

// base64Reader decodes base64 as it reads.
type base64Reader struct {
	src  io.Reader
	in   [chunk]byte
	out  []byte
	acc  uint32
	n    int
	done bool
}

func newBase64Reader(r io.Reader) io.Reader { return &base64Reader{src: r} }

func (d *base64Reader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.done {
			return 0, io.EOF
		}
		n, err := d.src.Read(d.in[:])
		out := d.out[:0]
		for _, c := range d.in[:n] {
			v := b64val[c]
			if v == 0xff {
				if c == '=' { // padding ends a quantum; a new one may follow
					out = d.flushQuantum(out)
				}
				continue
			}
			d.acc = d.acc<<6 | uint32(v)
			d.n++
			if d.n == 4 {
				out = append(out, byte(d.acc>>16), byte(d.acc>>8), byte(d.acc))
				d.acc, d.n = 0, 0
			}
		}
		if err != nil {
			out = d.flushQuantum(out)
			d.done = true
		}
		d.out = out
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

func (d *base64Reader) flushQuantum(out []byte) []byte {
	switch d.n {
	case 2:
		out = append(out, byte(d.acc>>4))
	case 3:
		out = append(out, byte(d.acc>>10), byte(d.acc>>2))
	}
	d.acc, d.n = 0, 0
	return out
}

// qpReader decodes quoted-printable line by line.
type qpReader struct {
	br  *bufio.Reader
	out []byte
	buf []byte
	err error
}

func newQPReader(r io.Reader) io.Reader {
	return &qpReader{br: bufio.NewReaderSize(r, chunk)}
}

func (d *qpReader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		line, err := d.br.ReadSlice('\n')
		whole := err != bufio.ErrBufferFull
		if !whole {
			err = nil
		}
		d.err = err
		d.buf = decodeQPLine(d.buf[:0], line, whole)
		d.out = d.buf
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// decodeQPLine decodes one line (or fragment of a long line). RFC 2045 6.7:
// trailing white space is dropped and "=" at the end is a soft line break.
// QUIRK: an "=" near the end of a fragment may lose its escape when a line
// is longer than the buffer; real encoders keep lines under 77 characters.
func decodeQPLine(out, line []byte, whole bool) []byte {
	eol := []byte(nil)
	if whole {
		body := trimEOL(line)
		eol = line[len(body):]
		line = bytes.TrimRight(body, " \t")
		if len(line) > 0 && line[len(line)-1] == '=' {
			line, eol = line[:len(line)-1], nil
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
			out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
			i += 2
			continue
		}
		out = append(out, c)
	}
	return append(out, eol...)
}

// uuReader decodes the first uuencoded file in the body.
type uuReader struct {
	br    *bufio.Reader
	out   []byte
	state int // 0 before "begin", 1 inside, 2 after "end"
}

func newUUReader(r io.Reader) io.Reader {
	return &uuReader{br: bufio.NewReaderSize(r, chunk)}
}

func (d *uuReader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.state == 2 {
			return 0, io.EOF
		}
		line, err := d.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			d.state = 2
		}
		t := bytes.TrimRight(line, " \t\r\n")
		switch {
		case d.state == 0 && bytes.HasPrefix(t, []byte("begin ")):
			d.state = 1
		case d.state == 1 && (bytes.Equal(t, []byte("end")) || bytes.Equal(t, []byte("`"))):
			d.state = 2
		case d.state == 1:
			d.out = decodeUULine(d.out[:0], t)
		}
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// decodeUULine decodes one uuencoded line: a length character, then groups
// of four characters each carrying three bytes, each character (c-32)&63.
func decodeUULine(out, t []byte) []byte {
	if len(t) == 0 {
		return out
	}
	n := int((t[0] - 32) & 63)
	t = t[1:]
	start := len(out)
	for i := 0; i+1 < len(t) && len(out)-start < n; i += 4 {
		var q [4]byte
		for j := 0; j < 4; j++ {
			if i+j < len(t) {
				q[j] = (t[i+j] - 32) & 63
			}
		}
		out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
	}
	if len(out)-start > n {
		out = out[:start+n]
	}
	return out
}
