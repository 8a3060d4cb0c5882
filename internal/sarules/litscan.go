package sarules

import "strings"

// # Multi-literal scan
//
// Every regex of a ruleset with a prefilter set (Regex.lits, each member at
// least 3 bytes) shares one litScanner. A subject is scanned once: at each
// position its first three bytes are looked up in a bitmap of the
// literals' first three bytes, and only on a hit are the literals starting
// with those bytes compared. The result is a bitset of the literals that
// occur, cached on the subject; a regex whose literals are all absent is
// not run.

type litScanner struct {
	lits []string
	// pre[id], mask[id]: the literal's first (up to) 8 bytes as a
	// little-endian word, to reject most candidates with one compare
	pre, mask []uint64
	heads     []uint64           // bitmap over 24-bit heads
	byKey     map[uint32][]int32 // head -> literal ids
}

func litHead(s string) uint32 { return uint32(s[0])<<16 | uint32(s[1])<<8 | uint32(s[2]) }

// newLitScanner indexes the literal sets of regexes and sets each regex's
// litIDs and scan.
func newLitScanner(regexes []*Regex) *litScanner {
	sc := &litScanner{heads: make([]uint64, 1<<24/64), byKey: map[uint32][]int32{}}
	ids := map[string]int32{}
	for _, re := range regexes {
		if re.lits == nil {
			continue
		}
		re.litIDs = re.litIDs[:0]
		for _, l := range re.lits {
			id, ok := ids[l]
			if !ok {
				id = int32(len(sc.lits))
				ids[l] = id
				sc.lits = append(sc.lits, l)
				var pre, mask uint64
				for k := 0; k < len(l) && k < 8; k++ {
					pre |= uint64(l[k]) << (8 * k)
					mask |= 0xff << (8 * k)
				}
				sc.pre, sc.mask = append(sc.pre, pre), append(sc.mask, mask)
				h := litHead(l)
				sc.heads[h>>6] |= 1 << (h & 63)
				sc.byKey[h] = append(sc.byKey[h], id)
			}
			re.litIDs = append(re.litIDs, id)
		}
		re.scan = sc
	}
	return sc
}

// find returns the bitset of literals occurring in lower.
func (sc *litScanner) find(lower string) []uint64 {
	found := make([]uint64, (len(sc.lits)+63)/64)
	for i := 0; i+3 <= len(lower); i++ {
		h := litHead(lower[i:])
		if sc.heads[h>>6]&(1<<(h&63)) == 0 {
			continue
		}
		ids := sc.byKey[h]
		if i+8 <= len(lower) {
			w := load64(lower, i)
			for _, id := range ids {
				if w&sc.mask[id] == sc.pre[id] && (len(sc.lits[id]) <= 8 || strings.HasPrefix(lower[i+8:], sc.lits[id][8:])) {
					found[id>>6] |= 1 << (id & 63)
				}
			}
			continue
		}
		for _, id := range ids {
			if strings.HasPrefix(lower[i:], sc.lits[id]) {
				found[id>>6] |= 1 << (id & 63)
			}
		}
	}
	return found
}

// mayMatchText is mayMatch over a subject, using the shared scan when the
// regex belongs to a ruleset.
func (r *Regex) mayMatchText(t *subjectText) bool {
	if r.lits == nil {
		return true
	}
	if r.scan == nil {
		return r.mayMatch(t.lower)
	}
	if t.scan != r.scan {
		t.found, t.scan = r.scan.find(t.lower), r.scan
	}
	for _, id := range r.litIDs {
		if t.found[id>>6]&(1<<(id&63)) != 0 {
			return true
		}
	}
	return false
}

// load64 reads s[i:i+8] as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
