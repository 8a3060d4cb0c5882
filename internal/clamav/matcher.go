package clamav

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"sort"
)

// bodySig is one compiled body pattern with where it may match and whom a
// match is reported to: an ndb signature (name >= 0) or subsignature sub of
// logical signature ldb.
type bodySig struct {
	pat    *pattern
	off    offset
	target uint8
	name   int32 // index into DB.names, -1 for ldb subsignatures
	ldb    int32 // index into DB.ldbs, -1 for ndb signatures
	sub    int32
	anchor int // token index of the first anchor byte
	alen   int // anchor length in tokens (2..4, or strideRun), 0 = none
}

// matcher finds the bodySigs of one group (raw bytes, normalised HTML or
// normalised text) in a buffer.
type matcher struct {
	sigs    []bodySig
	strided quadTable          // anchors of strideRun bytes, probed every stride bytes
	single  quadTable          // anchors of 4 bytes, probed at every position
	pair    map[uint16][]int32 // 2-gram -> sigs whose best fixed run is 2-3 bytes
	pairs   [1 << 16 / 64]uint64
	fixed   []int32 // sigs verified only at their offset
	// The fixed sigs at one absolute offset whose first token is one
	// exact byte are found by that byte (absFirst[offset<<8|byte], for
	// each offset of absOffs, ascending); fixedRest holds the others.
	absOffs   []int64
	absFirst  map[uint64][]int32
	fixedRest []int32
	slow      []int32 // floating sigs without any fixed pair of bytes
}

// quadTable maps 4-byte windows to the signatures anchored on them, behind
// two prefilters: a bitmap of the windows' first two bytes (8 KB, stays in
// L1) and a bitmap of a multiplicative hash of the whole window. The map
// itself is an open-addressing table of the distinct windows over one flat
// array of entries (no per-window slices: few pointers, little memory).
type quadTable struct {
	pre   [1 << 16 / 64]uint64
	bloom []uint64
	shift uint

	table  []uint64 // window | (1 + index of its run) << 32; 0 = empty slot
	runs   []uint32 // the entries of run k are ents[runs[k]:runs[k+1]]
	ents   []int32
	tshift uint

	pending []quadEntry // add's input until finish
}

type quadEntry struct {
	w   uint32
	v   int32
	seq int32
}

func (q *quadTable) init(n int) {
	// 32 to 64 bits per window: measured a little faster than 16 (fewer
	// exact lookups on text) and than 64 (a smaller working set).
	nb := max(16, bits.Len(uint(n*32)))
	q.bloom = make([]uint64, 1<<nb/64)
	q.shift = uint(32 - nb)
}

func (q *quadTable) add(w uint32, v int32) {
	q.pending = append(q.pending, quadEntry{w: w, v: v, seq: int32(len(q.pending))})
	h := (w * 0x9E3779B1) >> q.shift
	q.bloom[h>>6] |= 1 << (h & 63)
	q.pre[uint16(w)>>6] |= 1 << (w & 63)
}

// finish builds the exact table; entries of one window keep the order
// they were added in.
func (q *quadTable) finish() {
	p := q.pending
	q.pending = nil
	if len(p) == 0 {
		return
	}
	sort.Slice(p, func(i, j int) bool {
		if p[i].w != p[j].w {
			return p[i].w < p[j].w
		}
		return p[i].seq < p[j].seq
	})
	distinct := 0
	for i := range p {
		if i == 0 || p[i].w != p[i-1].w {
			distinct++
		}
	}
	nb := bits.Len(uint(distinct * 2))
	q.tshift = uint(32 - nb)
	q.table = make([]uint64, 1<<nb)
	q.runs = make([]uint32, 0, distinct+1)
	q.ents = make([]int32, len(p))
	mask := uint32(1<<nb - 1)
	for i := range p {
		q.ents[i] = p[i].v
		if i > 0 && p[i].w == p[i-1].w {
			continue
		}
		h := (p[i].w * 0x9E3779B1) >> q.tshift
		for q.table[h] != 0 {
			h = (h + 1) & mask
		}
		q.runs = append(q.runs, uint32(i))
		q.table[h] = uint64(p[i].w) | uint64(len(q.runs))<<32
	}
	q.runs = append(q.runs, uint32(len(p)))
}

// pass reports whether window w gets through both prefilters. Both bits
// are loaded unconditionally: one predictable branch instead of two.
func (q *quadTable) pass(w uint32) bool {
	h := ((w * 0x9E3779B1) >> q.shift) & uint32(len(q.bloom)*64-1)
	return (q.pre[uint16(w)>>6]>>(w&63))&(q.bloom[h>>6]>>(h&63))&1 != 0
}

// empty reports a table without any window.
func (q *quadTable) empty() bool { return len(q.ents) == 0 }

// lookup returns the entries of window w, nil if none.
func (q *quadTable) lookup(w uint32) []int32 {
	if len(q.table) == 0 {
		return nil
	}
	mask := uint32(len(q.table) - 1)
	for h := (w * 0x9E3779B1) >> q.tshift; ; h = (h + 1) & mask {
		e := q.table[h&mask]
		if e == 0 {
			return nil
		}
		if uint32(e) == w {
			k := uint32(e >> 32)
			return q.ents[q.runs[k-1]:q.runs[k]]
		}
	}
}

// # Strided probing
//
// A signature whose anchor is a run of strideRun = stride+3 fixed bytes is
// entered under each of the run's first stride 4-byte windows (offset j
// kept in the entry's low bits). Any occurrence of the run then contains a
// window starting at a multiple of stride, so the scan probes only every
// stride-th position.
const (
	stride    = 3
	strideRun = stride + 3
)

// byteFreq ranks how common a byte is in ordinary files (zero, 0xff,
// spaces and lower-case letters most); anchors avoid common bytes.
func byteFreq(c byte) int {
	switch {
	case c == 0x00 || c == 0xff:
		return 8
	case c == ' ' || c == '\n' || c == '\r' || c == '\t':
		return 6
	case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return 4
	case c >= 'A' && c <= 'Z', c >= 0x21 && c <= 0x7e:
		return 3
	}
	return 1
}

// chooseAnchor picks the rarest window of up to maxLen consecutive whole
// bytes.
func chooseAnchor(p *pattern, maxLen int) (at, n int) {
	best := 1 << 30
	run := 0
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tokByte || t.mask != 0xff {
			run = 0
			continue
		}
		run++
		w := min(run, maxLen)
		if w < n {
			continue
		}
		score := 0
		for j := i - w + 1; j <= i; j++ {
			score += byteFreq(p.toks[j].val)
			if p.toks[j].nocase {
				score += 2
			}
		}
		if w > n || score < best {
			at, n, best = i-w+1, w, score
		}
	}
	if n == 1 {
		return 0, 0
	}
	return at, n
}

func newMatcher(sigs []bodySig) *matcher {
	m := &matcher{sigs: sigs, pair: map[uint16][]int32{}}
	m.strided.init(len(sigs) * stride)
	m.single.init(len(sigs) / 4)
	for i := range m.sigs {
		s := &m.sigs[i]
		if !s.off.floating() {
			m.fixed = append(m.fixed, int32(i))
			continue
		}
		if s.anchor, s.alen = chooseAnchor(s.pat, strideRun); s.alen == strideRun {
			toks := s.pat.toks[s.anchor : s.anchor+strideRun]
			for j := 0; j < stride; j++ {
				for _, k := range anchorKeys(toks[j : j+4]) {
					m.strided.add(binary.LittleEndian.Uint32(k), int32(i)<<2|int32(j))
				}
			}
			continue
		}
		s.anchor, s.alen = chooseAnchor(s.pat, 4)
		if s.alen == 0 {
			m.slow = append(m.slow, int32(i))
			continue
		}
		for _, k := range anchorKeys(s.pat.toks[s.anchor : s.anchor+s.alen]) {
			if s.alen == 4 {
				m.single.add(binary.LittleEndian.Uint32(k), int32(i))
				continue
			}
			w := binary.LittleEndian.Uint16(k)
			m.pair[w] = append(m.pair[w], int32(i))
			m.pairs[w>>6] |= 1 << (w & 63)
		}
	}
	m.strided.finish()
	m.single.finish()
	m.indexFixed()
	return m
}

// indexFixed fills absOffs, absFirst and fixedRest from fixed.
func (m *matcher) indexFixed() {
	for _, si := range m.fixed {
		s := &m.sigs[si]
		t := &s.pat.toks[0]
		if s.off.kind != offAbs || s.off.span != 0 || t.kind != tokByte || t.mask != 0xff || t.nocase || s.off.n >= 1<<55 {
			m.fixedRest = append(m.fixedRest, si)
			continue
		}
		if m.absFirst == nil {
			m.absFirst = map[uint64][]int32{}
		}
		k := uint64(s.off.n)<<8 | uint64(t.val)
		if _, ok := m.absFirst[k]; !ok && !slices.Contains(m.absOffs, s.off.n) {
			m.absOffs = append(m.absOffs, s.off.n)
		}
		m.absFirst[k] = append(m.absFirst[k], si)
	}
	slices.Sort(m.absOffs)
}

// anchorKeys lists the byte strings the anchor tokens match: one, or every
// case variant for case-insensitive tokens (at most 16).
func anchorKeys(toks []token) [][]byte {
	keys := [][]byte{make([]byte, 0, 4)}
	for _, t := range toks {
		var next [][]byte
		for _, k := range keys {
			next = append(next, append(k[:len(k):len(k)], t.val))
			if t.nocase && isAlpha(t.val) {
				next = append(next, append(k[:len(k):len(k)], t.val&^0x20))
			}
		}
		keys = next
	}
	return keys
}

// hitFn receives a verified match of sig si starting at start; it returns
// true to stop the scan.
type hitFn func(si int32, start int) bool

// scanCtx is what target filtering and offset resolution need of a file.
type scanCtx struct {
	ftype uint8
	exe   *exeInfo
}

func (m *matcher) applies(s *bodySig, c *scanCtx) bool {
	return s.target == 0 || s.target == c.ftype
}

// scan reports every match in d. It stops early when hit returns true.
func (m *matcher) scan(d []byte, c *scanCtx, hit hitFn) {
	v := verifier{data: d}
	if m.scanFixed(&v, c, hit) {
		return
	}
	if !m.strided.empty() && m.scanStrided(&v, c, hit) {
		return
	}
	if !m.single.empty() && m.scanQuad(&v, c, hit) {
		return
	}
	if len(m.pair) > 0 && m.scanPair(&v, c, hit) {
		return
	}
	for _, si := range m.slow {
		s := &m.sigs[si]
		if !m.applies(s, c) {
			continue
		}
		for i := 0; i+s.pat.minLen <= len(d); i++ {
			if _, ok := v.at(s.pat, i); ok && m.inRange(s, i, len(d), c) && hit(si, i) {
				return
			}
		}
	}
}

func (m *matcher) scanFixed(v *verifier, c *scanCtx, hit hitFn) bool {
	// Candidates by their first byte at their offset: a signature whose
	// first byte differs there cannot match. They are merged with the
	// rest in signature order, the order hits are reported in.
	var buf [16]int32
	cand := buf[:0]
	for _, n := range m.absOffs {
		if n >= int64(len(v.data)) {
			break
		}
		cand = append(cand, m.absFirst[uint64(n)<<8|uint64(v.data[n])]...)
	}
	if len(m.absOffs) > 1 {
		slices.Sort(cand)
	}
	rest := m.fixedRest
	for len(cand) > 0 || len(rest) > 0 {
		var si int32
		if len(rest) == 0 || len(cand) > 0 && cand[0] < rest[0] {
			si, cand = cand[0], cand[1:]
		} else {
			si, rest = rest[0], rest[1:]
		}
		if m.tryFixed(v, si, c, hit) {
			return true
		}
	}
	return false
}

// tryFixed verifies fixed sig si at each start its offset allows.
func (m *matcher) tryFixed(v *verifier, si int32, c *scanCtx, hit hitFn) bool {
	s := &m.sigs[si]
	if !m.applies(s, c) {
		return false
	}
	size := int64(len(v.data))
	lo, hi, ok := s.off.resolve(size, c.exe)
	if !ok {
		return false
	}
	for p := lo; p <= hi && p < size; p++ {
		if _, ok := v.at(s.pat, int(p)); ok && hit(si, int(p)) {
			return true
		}
	}
	return false
}

func (m *matcher) scanQuad(v *verifier, c *scanCtx, hit hitFn) bool {
	d := v.data
	if len(d) < 4 {
		return false
	}
	q := &m.single
	bloom, shift, pre := q.bloom, q.shift, &q.pre
	mask := uint32(len(bloom)*64 - 1)
	// w is the little-endian window d[i-3:i+1]; primed so the first
	// shift leaves d[0:4].
	w := uint32(d[0])<<8 | uint32(d[1])<<16 | uint32(d[2])<<24
	for i := 3; i < len(d); i++ {
		w = w>>8 | uint32(d[i])<<24
		// Both bits are loaded unconditionally: one predictable branch
		// instead of two.
		h := ((w * 0x9E3779B1) >> shift) & mask
		if (pre[uint16(w)>>6]>>(w&63))&(bloom[h>>6]>>(h&63))&1 == 0 {
			continue
		}
		for _, si := range q.lookup(w) {
			if m.check(v, si, i-3, c, hit) {
				return true
			}
		}
	}
	return false
}

func (m *matcher) scanStrided(v *verifier, c *scanCtx, hit hitFn) bool {
	d := v.data
	q := &m.strided
	bloom, shift, pre := q.bloom, q.shift, &q.pre
	mask := uint32(len(bloom)*64 - 1)
	i := 0
	// Two probes per 8-byte load: the windows at i and i+stride.
	for ; i+8 <= len(d); i += 2 * stride {
		x := binary.LittleEndian.Uint64(d[i:])
		w0, w1 := uint32(x), uint32(x>>(8*stride))
		h0 := ((w0 * 0x9E3779B1) >> shift) & mask
		h1 := ((w1 * 0x9E3779B1) >> shift) & mask
		b0 := (pre[uint16(w0)>>6] >> (w0 & 63)) & (bloom[h0>>6] >> (h0 & 63))
		b1 := (pre[uint16(w1)>>6] >> (w1 & 63)) & (bloom[h1>>6] >> (h1 & 63))
		if (b0|b1)&1 == 0 {
			continue
		}
		if b0&1 != 0 && m.stridedHits(v, q, w0, i, c, hit) {
			return true
		}
		if b1&1 != 0 && m.stridedHits(v, q, w1, i+stride, c, hit) {
			return true
		}
	}
	for ; i+4 <= len(d); i += stride {
		w := binary.LittleEndian.Uint32(d[i:])
		if q.pass(w) && m.stridedHits(v, q, w, i, c, hit) {
			return true
		}
	}
	return false
}

// stridedHits checks the signatures of window w found at i.
func (m *matcher) stridedHits(v *verifier, q *quadTable, w uint32, i int, c *scanCtx, hit hitFn) bool {
	for _, e := range q.lookup(w) {
		if p := i - int(e&3); p >= 0 && p+strideRun <= len(v.data) && m.check(v, e>>2, p, c, hit) {
			return true
		}
	}
	return false
}

func (m *matcher) scanPair(v *verifier, c *scanCtx, hit hitFn) bool {
	d := v.data
	for i := 0; i+2 <= len(d); i++ {
		w := binary.LittleEndian.Uint16(d[i:])
		if m.pairs[w>>6]&(1<<(w&63)) == 0 {
			continue
		}
		for _, si := range m.pair[w] {
			if m.check(v, si, i, c, hit) {
				return true
			}
		}
	}
	return false
}

// check verifies sig si whose anchor bytes matched at position i.
func (m *matcher) check(v *verifier, si int32, i int, c *scanCtx, hit hitFn) bool {
	s := &m.sigs[si]
	if !m.applies(s, c) {
		return false
	}
	for k := 0; k < s.alen; k++ {
		if !s.pat.toks[s.anchor+k].matchByte(v.data[i+k]) {
			return false
		}
	}
	start, ok := v.around(s.pat, s.anchor, s.alen, i)
	if !ok || !m.inRange(s, start, len(v.data), c) {
		return false
	}
	return hit(si, start)
}

func (m *matcher) inRange(s *bodySig, start, size int, c *scanCtx) bool {
	if s.off.kind == offAny {
		return true
	}
	lo, hi, ok := s.off.resolve(int64(size), c.exe)
	return ok && int64(start) >= lo && int64(start) <= hi
}
