package clamav

import "bytes"

// maxSteps bounds the backtracking of one verification, so that no
// signature with many gaps can make a scan quadratic.
const maxSteps = 1 << 14

// verifier matches a token list against data around an anchor.
type verifier struct {
	data  []byte
	steps int
	// hitEnd is set when a forward match ran into the end of data (or
	// might have): on a prefix of the input, a failure is then not final.
	hitEnd bool
}

func (t *token) matchByte(c byte) bool {
	if t.nocase {
		c = lower(c)
	}
	return c&t.mask == t.val
}

// altAt reports the lengths of the alternatives matching at data[p:] (fwd)
// or ending at p (bwd), as a bitmask-free callback to keep it allocation
// free.
func (t *token) altMatch(alts [][]byte, data []byte, p int, fwd bool, yield func(n int) bool) bool {
	if t.neg {
		n := len(alts[0])
		s := p
		if !fwd {
			s = p - n
		}
		if s < 0 || s+n > len(data) {
			return false
		}
		for _, a := range alts {
			if eqFold(data[s:s+n], a, t.nocase) {
				return false
			}
		}
		return yield(n)
	}
	for _, a := range alts {
		n := len(a)
		s := p
		if !fwd {
			s = p - n
		}
		if s < 0 || s+n > len(data) || !eqFold(data[s:s+n], a, t.nocase) {
			continue
		}
		if yield(n) {
			return true
		}
	}
	return false
}

func eqFold(d, a []byte, nocase bool) bool {
	if !nocase {
		return string(d) == string(a)
	}
	for i := range d {
		if lower(d[i]) != a[i] {
			return false
		}
	}
	return true
}

// fwd matches toks[ti:] starting at p and returns the end of the match.
func (v *verifier) fwd(pt *pattern, ti, p int) (int, bool) {
	toks := pt.toks
	for ti < len(toks) {
		if v.steps++; v.steps > maxSteps {
			return 0, false
		}
		t := &toks[ti]
		switch t.kind {
		case tokByte:
			if p >= len(v.data) {
				v.hitEnd = true
				return 0, false
			}
			if !t.matchByte(v.data[p]) {
				return 0, false
			}
			p++
			ti++
		case tokAlt:
			if p+maxAltLen(pt.alts[t.arg]) > len(v.data) {
				v.hitEnd = true
			}
			end := 0
			ok := t.altMatch(pt.alts[t.arg], v.data, p, true, func(n int) bool {
				e, ok := v.fwd(pt, ti+1, p+n)
				end = e
				return ok
			})
			return end, ok
		case tokGap:
			g := pt.gaps[t.arg]
			hi := len(v.data)
			if g.max >= 0 {
				hi = min(hi, p+int(g.max))
			}
			if g.max < 0 || p+int(g.max) >= len(v.data) {
				v.hitEnd = true
			}
			for q := p + int(g.min); q <= hi; q++ {
				if q = v.skipTo(toks, ti+1, q, hi); q < 0 {
					break
				}
				if e, ok := v.fwd(pt, ti+1, q); ok {
					return e, true
				}
				if v.steps > maxSteps {
					break
				}
			}
			return 0, false
		}
	}
	return p, true
}

// bwd matches toks[:ti] so that it ends at p and returns the start.
func (v *verifier) bwd(pt *pattern, ti, p int) (int, bool) {
	toks := pt.toks
	for ti > 0 {
		if v.steps++; v.steps > maxSteps {
			return 0, false
		}
		t := &toks[ti-1]
		switch t.kind {
		case tokByte:
			if p <= 0 || !t.matchByte(v.data[p-1]) {
				return 0, false
			}
			p--
			ti--
		case tokAlt:
			start := 0
			ok := t.altMatch(pt.alts[t.arg], v.data, p, false, func(n int) bool {
				s, ok := v.bwd(pt, ti-1, p-n)
				start = s
				return ok
			})
			return start, ok
		case tokGap:
			g := pt.gaps[t.arg]
			lo := 0
			if g.max >= 0 {
				lo = max(lo, p-int(g.max))
			}
			for q := p - int(g.min); q >= lo; q-- {
				if q = v.skipBack(toks, ti-1, q, lo); q < 0 {
					break
				}
				if s, ok := v.bwd(pt, ti-1, q); ok {
					return s, true
				}
				if v.steps > maxSteps {
					break
				}
			}
			return 0, false
		}
	}
	return p, true
}

// at matches the whole pattern starting exactly at start.
func (v *verifier) at(p *pattern, start int) (int, bool) {
	if start < 0 {
		return 0, false
	}
	if start+p.minLen > len(v.data) {
		v.hitEnd = true
		return 0, false
	}
	v.steps = 0
	end, ok := v.fwd(p, 0, start)
	if ok && p.fullword && !v.wordBounded(start, end) {
		return 0, false
	}
	return end, ok
}

// around matches the pattern whose tokens [a, a+n) are known to match at
// data[pos:pos+n]; it returns the match start.
func (v *verifier) around(p *pattern, a, n, pos int) (int, bool) {
	v.steps = 0
	end, ok := v.fwd(p, a+n, pos+n)
	if !ok {
		return 0, false
	}
	start, ok := v.bwd(p, a, pos)
	if ok && p.fullword && !v.wordBounded(start, end) {
		return 0, false
	}
	return start, ok
}

func (v *verifier) wordBounded(start, end int) bool {
	if start > 0 && isAlnum(v.data[start-1]) {
		return false
	}
	return end >= len(v.data) || !isAlnum(v.data[end])
}

// skipTo returns the first q' in [q, hi] where toks[ti] could start, using
// IndexByte when it is a plain byte; -1 if none. Skipped positions cost no
// steps, so a far "*" is as cheap as a near one.
func (v *verifier) skipTo(toks []token, ti, q, hi int) int {
	if ti >= len(toks) || toks[ti].kind != tokByte || toks[ti].mask != 0xff || toks[ti].nocase {
		return q
	}
	if q >= len(v.data) || q > hi {
		return -1
	}
	i := bytes.IndexByte(v.data[q:min(hi+1, len(v.data))], toks[ti].val)
	if i < 0 {
		return -1
	}
	return q + i
}

// skipBack is skipTo going backwards: toks[ti-1] must end at q' <= q, q' >= lo.
func (v *verifier) skipBack(toks []token, ti, q, lo int) int {
	if ti <= 0 || toks[ti-1].kind != tokByte || toks[ti-1].mask != 0xff || toks[ti-1].nocase {
		return q
	}
	if q <= 0 || q < lo || lo >= len(v.data) {
		return -1
	}
	i := bytes.LastIndexByte(v.data[max(lo-1, 0):min(q, len(v.data))], toks[ti-1].val)
	if i < 0 {
		return -1
	}
	return max(lo-1, 0) + i + 1
}

func maxAltLen(alts [][]byte) int {
	n := 0
	for _, a := range alts {
		n = max(n, len(a))
	}
	return n
}
