package clamav

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
// time the emitted count reaches next.
func (m *matcher) probeText(d []byte) bool {
	q := &m.strided
	if q.empty() {
		return false
	}
	var w uint32
	j, next := 0, 4
	space := false
	for _, c := range d {
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

// has reports whether window w is an anchor of the table.
func (q *quadTable) has(w uint32) bool {
	return q.pass(w) && q.holds(w)
}

// holds is the rare exact check behind pass, kept out of line so that
// has stays small enough to inline into probeText's loop.
//
//go:noinline
func (q *quadTable) holds(w uint32) bool { return q.lookup(w) != nil }
