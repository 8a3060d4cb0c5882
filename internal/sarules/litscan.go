package sarules

import (
	"math/bits"
	"strings"
)

// # Multi-literal scan
//
// The regexes of a ruleset's rules of one kind of subject (Ruleset.scans:
// body, rawbody, uri, full, headers), each with a prefilter set
// (Regex.lits, each member at least 3 bytes), share one litScanner. A
// subject is scanned once: at each position its first three bytes (the
// head) are looked up in a bitmap of the literals' heads, and only on a
// hit are the literals starting with those bytes compared. The bitmap
// has about 8,192 bits a literal, indexed by the head's low bits (4 KB
// for the full text's handful of literals, all 2^24 heads, 2 MB, for the
// body's thousands, instead of 2 MB for every kind); heads that share
// their low bits only cost a look in the slot table. The result is a
// bitset of the literals that occur, cached on the subject; a regex whose
// literals are all absent is not run.

type litScanner struct {
	lits     []string
	heads    []uint64 // bitmap over head&headMask
	headMask uint32
	// slots is an open-addressed table from head to its candidates,
	// cands[lo:hi]; len(slots) is a power of two, 1<<(32-slotShift)
	slots     []litSlot
	slotShift uint
	cands     []litCand
}

type litSlot struct {
	head   uint32 // head+1; 0: empty
	lo, hi uint32
}

// litCand is a literal under its head: its first (up to) 8 bytes as a
// little-endian word and the mask of those bytes, to reject most
// candidates with one compare.
type litCand struct {
	pre, mask uint64
	id        int32
	long      bool // longer than 8 bytes
}

func litHead(s string) uint32 { return uint32(s[0])<<16 | uint32(s[1])<<8 | uint32(s[2]) }

// slot returns the table slot of head (present or the empty one where it
// would go).
func (sc *litScanner) slot(head uint32) *litSlot {
	mask := uint32(len(sc.slots) - 1)
	for i := (head * 0x9e3779b1) >> sc.slotShift; ; i = (i + 1) & mask {
		if sl := &sc.slots[i]; sl.head == head+1 || sl.head == 0 {
			return sl
		}
	}
}

// newLitScanner indexes the literal sets of regexes and sets each regex's
// litIDs and scan.
func newLitScanner(regexes []*Regex) *litScanner {
	n := 0
	for _, re := range regexes {
		n += len(re.lits)
	}
	hb := uint(12) // 2^hb bits: ~8192 a literal, 2^12 to 2^24
	for hb < 24 && 1<<hb < n<<13 {
		hb++
	}
	sc := &litScanner{heads: make([]uint64, 1<<hb/64), headMask: 1<<hb - 1}
	ids := map[string]int32{}
	byHead := map[uint32][]int32{}
	var order []uint32 // heads in first-seen order
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
				h := litHead(l)
				b := h & sc.headMask
				sc.heads[b>>6] |= 1 << (b & 63)
				if byHead[h] == nil {
					order = append(order, h)
				}
				byHead[h] = append(byHead[h], id)
			}
			re.litIDs = append(re.litIDs, id)
		}
		re.scan = sc
	}
	n = 1
	for n < 2*len(order) || n < 2 {
		n *= 2
	}
	sc.slots = make([]litSlot, n)
	sc.slotShift = uint(32 - bits.TrailingZeros(uint(n)))
	for _, h := range order {
		sl := sc.slot(h)
		sl.head, sl.lo = h+1, uint32(len(sc.cands))
		for _, id := range byHead[h] {
			l := sc.lits[id]
			c := litCand{id: id, long: len(l) > 8}
			for k := 0; k < len(l) && k < 8; k++ {
				c.pre |= uint64(l[k]) << (8 * k)
				c.mask |= 0xff << (8 * k)
			}
			sc.cands = append(sc.cands, c)
		}
		sl.hi = uint32(len(sc.cands))
	}
	return sc
}

// find sets in found (zeroed, room for every literal; nil: allocated)
// the literals occurring in lower, and returns it.
func (sc *litScanner) find(lower string, found []uint64) []uint64 {
	if found == nil {
		found = make([]uint64, (len(sc.lits)+63)/64)
	}
	for i := 0; i+3 <= len(lower); i++ {
		h := litHead(lower[i:])
		if b := h & sc.headMask; sc.heads[b>>6]&(1<<(b&63)) == 0 {
			continue
		}
		sl := sc.slot(h)
		cands := sc.cands[sl.lo:sl.hi]
		if i+8 <= len(lower) {
			w := load64(lower, i)
			for k := range cands {
				c := &cands[k]
				if w&c.mask == c.pre && (!c.long || strings.HasPrefix(lower[i+8:], sc.lits[c.id][8:])) {
					found[c.id>>6] |= 1 << (c.id & 63)
				}
			}
			continue
		}
		for k := range cands {
			if id := cands[k].id; strings.HasPrefix(lower[i:], sc.lits[id]) {
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
		return r.mayMatch(t.lowered())
	}
	if t.scan != r.scan {
		t.found, t.scan = r.scan.find(t.lowered(), nil), r.scan
	}
	for _, id := range r.litIDs {
		if t.found[id>>6]&(1<<(id&63)) != 0 {
			return r.alsoIn(t.lowered())
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
