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
	if len(m.single.sigs) > 0 || len(m.pair) > 0 || len(m.slow) > 0 {
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
// the table.
func (m *matcher) probeText(d []byte) bool {
	q := &m.strided
	if len(q.sigs) == 0 {
		return false
	}
	bloom, shift, pre := q.bloom, q.shift, &q.pre
	mask := uint32(len(bloom)*64 - 1)
	var w uint32
	j, next := 0, 4 // bytes emitted; the count at which to probe next
	space := false
	push := func(b byte) bool {
		w = w>>8 | uint32(b)<<24
		j++
		if j != next {
			return false
		}
		next += stride
		if pre[uint16(w)>>6]&(1<<(w&63)) == 0 {
			return false
		}
		h := ((w * 0x9E3779B1) >> shift) & mask
		return bloom[h>>6]&(1<<(h&63)) != 0 && len(q.sigs[w]) > 0
	}
	for _, c := range d {
		k := textClass[c]
		if k == 1 {
			space = true
			continue
		}
		if k != 0 {
			c = k
		}
		if space && j > 0 && push(' ') {
			return true
		}
		space = false
		if push(c) {
			return true
		}
	}
	return false
}
