package clamav

import (
	"encoding/binary"
	"math/bits"
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
	alen   int // anchor length in tokens (2..4), 0 = none
}

// matcher finds the bodySigs of one group (raw bytes, normalised HTML or
// normalised text) in a buffer.
type matcher struct {
	sigs  []bodySig
	bloom []uint64 // 4-gram prefilter, indexed by hash4
	shift uint
	quad  map[uint32][]int32 // 4-gram -> sigs anchored on it
	pair  map[uint16][]int32 // 2-gram -> sigs whose best fixed run is 2-3 bytes
	pairs [1 << 16 / 64]uint64
	fixed []int32 // sigs verified only at their offset
	slow  []int32 // floating sigs without any fixed pair of bytes
}

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

// chooseAnchor picks the rarest window of up to 4 consecutive whole bytes.
func chooseAnchor(p *pattern) (at, n int) {
	best := 1 << 30
	run := 0
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tokByte || t.mask != 0xff {
			run = 0
			continue
		}
		run++
		w := min(run, 4)
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
	m := &matcher{sigs: sigs, quad: map[uint32][]int32{}, pair: map[uint16][]int32{}}
	nb := max(16, bits.Len(uint(len(sigs)*64)))
	m.bloom = make([]uint64, 1<<nb/64)
	m.shift = uint(32 - nb)
	for i := range m.sigs {
		s := &m.sigs[i]
		switch {
		case !s.off.floating():
			m.fixed = append(m.fixed, int32(i))
		default:
			s.anchor, s.alen = chooseAnchor(s.pat)
			if s.alen == 0 {
				m.slow = append(m.slow, int32(i))
				continue
			}
			for _, k := range anchorKeys(s.pat.toks[s.anchor : s.anchor+s.alen]) {
				m.add(int32(i), k, s.alen)
			}
		}
	}
	return m
}

func (m *matcher) add(si int32, k []byte, n int) {
	if n == 4 {
		w := binary.LittleEndian.Uint32(k)
		m.quad[w] = append(m.quad[w], si)
		h := (w * 0x9E3779B1) >> m.shift
		m.bloom[h>>6] |= 1 << (h & 63)
		return
	}
	w := binary.LittleEndian.Uint16(k)
	m.pair[w] = append(m.pair[w], si)
	m.pairs[w>>6] |= 1 << (w & 63)
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
	if len(m.quad) > 0 && m.scanQuad(&v, c, hit) {
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
	size := int64(len(v.data))
	for _, si := range m.fixed {
		s := &m.sigs[si]
		if !m.applies(s, c) {
			continue
		}
		lo, hi, ok := s.off.resolve(size, c.exe)
		if !ok {
			continue
		}
		for p := lo; p <= hi && p < size; p++ {
			if _, ok := v.at(s.pat, int(p)); ok && hit(si, int(p)) {
				return true
			}
		}
	}
	return false
}

func (m *matcher) scanQuad(v *verifier, c *scanCtx, hit hitFn) bool {
	d := v.data
	bloom, shift := m.bloom, m.shift
	for i := 0; i+4 <= len(d); i++ {
		w := binary.LittleEndian.Uint32(d[i:])
		h := (w * 0x9E3779B1) >> shift
		if bloom[h>>6]&(1<<(h&63)) == 0 {
			continue
		}
		for _, si := range m.quad[w] {
			if m.check(v, si, i, c, hit) {
				return true
			}
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
