package clamav

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// # Hash signature formats
//
// .hdb (MD5) and .hsb (SHA1/SHA256): HASH:SIZE:NAME[:MINFLEVEL]; .mdb and
// .msb (PE section hashes): SIZE:HASH:NAME[:MINFLEVEL]; .fp and .sfp (allow
// lists, a file matching one is clean) use the .hdb form. The hash length
// says the algorithm (32, 40 or 64 hex digits). SIZE may be "*" (any size;
// ClamAV requires MINFLEVEL 73 for it, this engine does not care).

type hashAlg uint8

const (
	algMD5 hashAlg = iota
	algSHA1
	algSHA256
	numAlgs
)

type hashEntry struct {
	alg  hashAlg
	sum  [32]byte
	size int64 // -1 = any
	name string
	fl   int
}

// parseHashLine parses one .hdb/.hsb/.fp/.sfp line, or with section set
// one .mdb/.msb line.
func parseHashLine(line string, section bool) (hashEntry, error) {
	var e hashEntry
	f := strings.Split(line, ":")
	if len(f) < 3 || len(f) > 4 {
		return e, fmt.Errorf("want 3 or 4 fields, got %d", len(f))
	}
	hs, ss := f[0], f[1]
	if section {
		hs, ss = f[1], f[0]
	}
	switch len(hs) {
	case 32:
		e.alg = algMD5
	case 40:
		e.alg = algSHA1
	case 64:
		e.alg = algSHA256
	default:
		return e, fmt.Errorf("hash of %d hex digits", len(hs))
	}
	if _, err := hex.Decode(e.sum[:], []byte(hs)); err != nil {
		return e, fmt.Errorf("bad hash: %w", err)
	}
	if ss == "*" {
		e.size = -1
	} else {
		n, err := strconv.ParseInt(ss, 10, 64)
		if err != nil || n < 0 {
			return e, fmt.Errorf("bad size %q", ss)
		}
		e.size = n
	}
	if e.name = f[2]; e.name == "" {
		return e, fmt.Errorf("empty name")
	}
	if len(f) == 4 {
		n, err := strconv.Atoi(f[3])
		if err != nil {
			return e, fmt.Errorf("bad flevel %q", f[3])
		}
		e.fl = n
	}
	return e, nil
}

// hashSet finds hash signatures by (size, hash), computing a hash only when
// some signature of that algorithm has that size (or any size).
//
// Official databases hold millions of hashes, so each algorithm's entries
// are three flat arrays without pointers, sorted by (size, digest) and
// searched by bisection: sizes, the digests back to back, and indexes into
// a name arena. add appends to the pending arrays; finish sorts them
// (lookup also reads pending entries, one by one, before that).
type hashSet struct {
	tabs  [numAlgs]hashTable
	names nameArena
	n     int
}

// hashTable holds one algorithm's entries.
type hashTable struct {
	sizes []int64 // -1 = any size
	sums  []byte  // width bytes per entry
	names []int32
	any   bool // some entry has size -1
	// sorted entries precede the pending ones
	sorted int
}

// digestLen is the width of each algorithm's digest.
var digestLen = [numAlgs]int{algMD5: 16, algSHA1: 20, algSHA256: 32}

// nameArena stores many strings in one byte slice. A name ending in
// ".UNOFFICIAL" (every hash of a loose database file) is stored without
// the suffix and flagged by the top bit of its offset.
type nameArena struct {
	buf []byte
	off []uint32 // start of each name; the next start (or len(buf)) ends it
}

const (
	unofficial   = ".UNOFFICIAL"
	unofficialFl = 1 << 31
)

func (a *nameArena) add(s string) int32 {
	o := uint32(len(a.buf))
	if t, ok := strings.CutSuffix(s, unofficial); ok {
		s, o = t, o|unofficialFl
	}
	a.off = append(a.off, o)
	a.buf = append(a.buf, s...)
	return int32(len(a.off) - 1)
}

func (a *nameArena) get(i int32) string {
	end := uint32(len(a.buf))
	if int(i)+1 < len(a.off) {
		end = a.off[i+1] &^ unofficialFl
	}
	start := a.off[i]
	name := string(a.buf[start&^unofficialFl : end])
	if start&unofficialFl != 0 {
		name += unofficial
	}
	return name
}

func (h *hashSet) add(e hashEntry) {
	t := &h.tabs[e.alg]
	if e.size < 0 {
		t.any = true
	}
	if len(h.names.off) >= 1<<31-1 || len(h.names.buf)+len(e.name) >= unofficialFl-1 {
		return // beyond any real database
	}
	t.names = append(t.names, h.names.add(e.name))
	t.sizes = append(t.sizes, e.size)
	t.sums = append(t.sums, e.sum[:digestLen[e.alg]]...)
	h.n++
}

// reserve makes room for about n more entries of alg and names more
// bytes of names, so that a big file loads without growth slack.
func (h *hashSet) reserve(alg hashAlg, n, names int) {
	t := &h.tabs[alg]
	t.sizes = slices.Grow(t.sizes, n)
	t.sums = slices.Grow(t.sums, n*digestLen[alg])
	t.names = slices.Grow(t.names, n)
	h.names.off = slices.Grow(h.names.off, n)
	h.names.buf = slices.Grow(h.names.buf, max(names, 0))
}

// finish sorts every table by (size, digest) in place; of entries with the
// same size and digest the last added is kept, as a later line overrides
// an earlier one. n becomes the number of distinct entries.
func (h *hashSet) finish() {
	h.n = 0
	for alg := range h.tabs {
		t := &h.tabs[alg]
		w := digestLen[alg]
		sort.Stable(tableOrder{t, w})
		key := func(i int) []byte { return t.sums[i*w : (i+1)*w] }
		k := 0
		for i := range t.sizes {
			if i+1 < len(t.sizes) && t.sizes[i+1] == t.sizes[i] && bytes.Equal(key(i+1), key(i)) {
				continue // a later duplicate follows
			}
			if k != i {
				t.sizes[k], t.names[k] = t.sizes[i], t.names[i]
				copy(t.sums[k*w:], key(i))
			}
			k++
		}
		t.sizes, t.sums, t.names = trim(t.sizes[:k]), trim(t.sums[:k*w]), trim(t.names[:k])
		t.sorted = k
		h.n += k
	}
	h.names.buf, h.names.off = trim(h.names.buf), trim(h.names.off)
}

// trim copies s into an exact-size array when more than an eighth of its
// capacity is slack.
func trim[S ~[]E, E any](s S) S {
	if cap(s)-len(s) <= cap(s)/8 {
		return s
	}
	return append(S(nil), s...)
}

// tableOrder sorts a hashTable's three arrays together.
type tableOrder struct {
	t *hashTable
	w int
}

func (o tableOrder) Len() int { return len(o.t.sizes) }

func (o tableOrder) Less(i, j int) bool {
	t := o.t
	if t.sizes[i] != t.sizes[j] {
		return t.sizes[i] < t.sizes[j]
	}
	return bytes.Compare(t.sums[i*o.w:(i+1)*o.w], t.sums[j*o.w:(j+1)*o.w]) < 0
}

func (o tableOrder) Swap(i, j int) {
	t := o.t
	t.sizes[i], t.sizes[j] = t.sizes[j], t.sizes[i]
	t.names[i], t.names[j] = t.names[j], t.names[i]
	a, b := t.sums[i*o.w:(i+1)*o.w], t.sums[j*o.w:(j+1)*o.w]
	for k := range a {
		a[k], b[k] = b[k], a[k]
	}
}

// hasSize reports whether some entry has exactly this size.
func (t *hashTable) hasSize(size int64) bool {
	i, _ := slices.BinarySearch(t.sizes[:t.sorted], size)
	if i < t.sorted && t.sizes[i] == size {
		return true
	}
	return slices.Contains(t.sizes[t.sorted:], size)
}

// find returns the name index of the entry (size, sum).
func (t *hashTable) find(size int64, sum []byte) (int32, bool) {
	w := len(sum)
	for i := len(t.sizes) - 1; i >= t.sorted; i-- { // pending: the last added wins
		if t.sizes[i] == size && bytes.Equal(t.sums[i*w:(i+1)*w], sum) {
			return t.names[i], true
		}
	}
	i := sort.Search(t.sorted, func(i int) bool {
		if t.sizes[i] != size {
			return t.sizes[i] > size
		}
		return bytes.Compare(t.sums[i*w:(i+1)*w], sum) >= 0
	})
	if i < t.sorted && t.sizes[i] == size && bytes.Equal(t.sums[i*w:(i+1)*w], sum) {
		return t.names[i], true
	}
	return 0, false
}

// lookup returns the name of the signature matching d, if any. sums
// caches the hashes computed for d across hash sets.
func (h *hashSet) lookup(d []byte, sums *fileSums) (string, bool) {
	size := int64(len(d))
	for alg := hashAlg(0); alg < numAlgs; alg++ {
		t := &h.tabs[alg]
		if len(t.sizes) == 0 {
			continue
		}
		sized := t.hasSize(size)
		if !sized && !t.any {
			continue
		}
		sum := sums.get(alg, d)
		key := sum[:digestLen[alg]]
		if sized {
			if i, ok := t.find(size, key); ok {
				return h.names.get(i), true
			}
		}
		if t.any {
			if i, ok := t.find(-1, key); ok {
				return h.names.get(i), true
			}
		}
	}
	return "", false
}

// fileSums computes each hash of one buffer at most once.
type fileSums struct {
	have [numAlgs]bool
	sum  [numAlgs][32]byte
}

func (s *fileSums) get(alg hashAlg, d []byte) [32]byte {
	if !s.have[alg] {
		switch alg {
		case algMD5:
			m := md5.Sum(d)
			copy(s.sum[alg][:], m[:])
		case algSHA1:
			m := sha1.Sum(d)
			copy(s.sum[alg][:], m[:])
		case algSHA256:
			s.sum[alg] = sha256.Sum256(d)
		}
		s.have[alg] = true
	}
	return s.sum[alg]
}
