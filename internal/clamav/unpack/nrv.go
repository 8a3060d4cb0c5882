package unpack

import "errors"

// # UCL NRV2B / NRV2D / NRV2E (the UPX decompressors, LE32 flavour)
//
// A control bit stream is read most significant bit first from 32-bit
// little-endian words taken from the input as needed; literal bytes and
// offset low bytes are taken from the same input between those words.
// Each loop: 1 bits copy literal bytes; then a gamma-coded high offset
// (NRV2B: pairs of data/continue bits; 2D/2E: with an extra bit per step
// that also feeds the length), 2 meaning "reuse the last offset", else
// (high-3)*256 + next byte (all ones ends the stream); then a gamma-coded
// length, one longer past offset 0xD00 (2B) or 0x500 (2D/2E), plus one.

var errNRV = errors.New("nrv: corrupt stream")

type nrvReader struct {
	src []byte
	pos int
	bb  uint32
	bc  uint
	bad bool
}

func (r *nrvReader) bit() uint32 {
	if r.bc == 0 {
		if r.pos+4 > len(r.src) {
			r.bad = true
			return 0
		}
		r.bb = uint32(r.src[r.pos]) | uint32(r.src[r.pos+1])<<8 | uint32(r.src[r.pos+2])<<16 | uint32(r.src[r.pos+3])<<24
		r.pos += 4
		r.bc = 32
	}
	r.bc--
	return r.bb >> r.bc & 1
}

func (r *nrvReader) byte() uint32 {
	if r.pos >= len(r.src) {
		r.bad = true
		return 0
	}
	r.pos++
	return uint32(r.src[r.pos-1])
}

// gamma reads the Elias-gamma-like number shared by all three variants.
func (r *nrvReader) gamma(v uint32) uint32 {
	for i := 0; i < 32 && !r.bad; i++ {
		v = v<<1 | r.bit()
		if r.bit() == 1 {
			return v
		}
	}
	r.bad = true
	return v
}

// nrvDecompress decodes method 'b', 'd' or 'e' into at most limit bytes.
func nrvDecompress(src []byte, method byte, limit int) ([]byte, error) {
	r := &nrvReader{src: src}
	out := make([]byte, 0, min(limit, len(src)*8))
	last := uint32(1)
	for !r.bad {
		for r.bit() == 1 && !r.bad {
			if len(out) >= limit {
				return out, errNRV
			}
			out = append(out, byte(r.byte()))
		}
		var off, mlen uint32
		if method == 'b' {
			off = r.gamma(1)
		} else {
			off = 1
			for i := 0; i < 32 && !r.bad; i++ {
				off = off<<1 | r.bit()
				if r.bit() == 1 {
					break
				}
				off = (off-1)<<1 | r.bit()
			}
		}
		if off == 2 {
			off = last
			if method != 'b' {
				mlen = r.bit()
			}
		} else {
			off = (off-3)*256 + r.byte()
			if off == 0xffffffff {
				return out, nil
			}
			if method != 'b' {
				mlen = (off ^ 0xffffffff) & 1
				off >>= 1
			}
			off++
			last = off
		}
		mlen = nrvLength(r, method, mlen)
		threshold := uint32(0x500)
		if method == 'b' {
			threshold = 0xd00
		}
		if off > threshold {
			mlen++
		}
		if r.bad || int(off) > len(out) || off == 0 || len(out)+int(mlen)+1 > limit {
			return out, errNRV
		}
		from := len(out) - int(off)
		for k := 0; k <= int(mlen); k++ {
			out = append(out, out[from+k])
		}
	}
	return out, errNRV
}

func nrvLength(r *nrvReader, method byte, mlen uint32) uint32 {
	switch method {
	case 'b':
		mlen = r.bit()<<1 | r.bit()
		if mlen == 0 {
			mlen = r.gamma(1) + 2
		}
	case 'd':
		mlen = mlen<<1 | r.bit()
		if mlen == 0 {
			mlen = r.gamma(1) + 2
		}
	default: // 'e'
		switch {
		case mlen != 0:
			mlen = 1 + r.bit()
		case r.bit() == 1:
			mlen = 3 + r.bit()
		default:
			mlen = r.gamma(1) + 3
		}
	}
	return mlen
}
