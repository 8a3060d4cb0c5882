package clamav

import (
	"encoding/binary"
	"math/bits"
)

// # Probing normalised text
//
// Type 7 signatures match normalised text, but most text files match none
// of them. Rather than writing the normalised copy and scanning it, probe
// runs normText's transformation and the strided anchor lookup in one pass
// without writing anything, and only a candidate anchor (or a signature
// that needs more than that) makes the caller build the copy and scan it
// for real. It applies when every floating signature of the matcher is
// strided and every fixed one has an absolute offset, so that fixed ones
// can be decided on a normalised prefix.

// probePrefix is how much of the input the fixed signatures are first
// tried on.
const probePrefix = 4096

// probeable reports whether probe may stand in for scan.
func (m *matcher) probeable() bool {
	if !m.single.empty() || len(m.pair) > 0 || len(m.slow) > 0 {
		return false
	}
	for _, si := range m.fixed {
		if m.sigs[si].off.kind != offAbs {
			return false
		}
	}
	return true
}

// mayMatchText reports whether scanning normText(d) could find anything;
// false is certain, true means "scan it". buf is scratch space.
func (m *matcher) mayMatchText(d, buf []byte, c *scanCtx) bool {
	if len(m.fixed) > 0 {
		head := normText(buf, d[:min(len(d), probePrefix)])
		v := verifier{data: head}
		matched := m.scanFixed(&v, c, func(int32, int) bool { return true })
		if matched || (v.hitEnd && len(d) > probePrefix) {
			return true
		}
	}
	return m.probeText(d)
}

// probeText reports whether a strided anchor window of normText(d) is in
// the table. It mirrors normText byte for byte; the window is probed each
// time the emitted count reaches next. Eight bytes without whitespace (or
// any byte below '!') are taken at once, lower-cased together.
func (m *matcher) probeText(d []byte) bool {
	q := &m.strided
	if q.empty() {
		return false
	}
	var w uint32
	j, next := 0, 4
	space := false
	fastAt := 0 // no whole plain chunk starts before this
	for i := 0; i < len(d); {
		if !space && i >= fastAt && i+8 <= len(d) {
			x := binary.LittleEndian.Uint64(d[i:])
			if low := bytesBelow(x, '!'); low != 0 {
				// Bytes up to the first low one go one by one.
				fastAt = i + bits.TrailingZeros64(low)>>3 + 1
			} else {
				x |= upperBytes(x) >> 2 // 0x80 marks -> 0x20, the case bit
				for range 8 {
					w = w>>8 | uint32(byte(x))<<24
					x >>= 8
					if j++; j == next {
						next += stride
						if q.pass(w) && q.holds(w) {
							return true
						}
					}
				}
				i += 8
				continue
			}
		}
		c := d[i]
		i++
		k := textClass[c]
		if k == 1 {
			space = true
			continue
		}
		if k != 0 {
			c = k
		}
		if space && j > 0 {
			w = w>>8 | ' '<<24
			if j++; j == next {
				next += stride
				if q.pass(w) && q.holds(w) {
					return true
				}
			}
		}
		space = false
		w = w>>8 | uint32(c)<<24
		if j++; j == next {
			next += stride
			if q.pass(w) && q.holds(w) {
				return true
			}
		}
	}
	return false
}

const (
	ones8 = 0x0101010101010101
	high8 = 0x8080808080808080
)

// bytesBelow is non-zero when a byte of x is below n (n <= 128); its
// lowest set bit is the top bit of the first such byte.
func bytesBelow(x uint64, n byte) uint64 {
	return (x - ones8*uint64(n)) &^ x & high8
}

// upperBytes has 0x80 in each byte of x that is an ASCII capital letter
// and 0 elsewhere (exact per byte: no carry crosses a byte).
func upperBytes(x uint64) uint64 {
	const m, n = 'A' - 1, 'Z' + 1
	low := x &^ high8
	return (ones8*(127+n) - low) & ^x & (low + ones8*(127-m)) & high8
}

// holds is the rare exact check behind pass, kept out of line so that
// the probe loops stay small.
//
//go:noinline
func (q *quadTable) holds(w uint32) bool { return q.lookup(w) != nil }
