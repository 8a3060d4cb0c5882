package clamav

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

type (
	key16 struct {
		size int64
		sum  [16]byte
	}
	key20 struct {
		size int64
		sum  [20]byte
	}
	key32 struct {
		size int64
		sum  [32]byte
	}
)

// hashSet finds hash signatures by (size, hash), computing a hash only when
// some signature of that algorithm has that size (or any size).
//
// Official databases hold millions of hashes, so the maps hold no pointers
// (keys of the digest's exact size, values indexing a name arena) and cost
// the garbage collector nothing to scan.
type hashSet struct {
	sizes  [numAlgs]map[int64]struct{}
	any    [numAlgs]bool
	md5    map[key16]int32
	sha1   map[key20]int32
	sha256 map[key32]int32
	names  nameArena
	n      int
}

// nameArena stores many strings in one byte slice.
type nameArena struct {
	buf []byte
	off []uint32 // start of each name; the next start (or len(buf)) ends it
}

func (a *nameArena) add(s string) int32 {
	a.off = append(a.off, uint32(len(a.buf)))
	a.buf = append(a.buf, s...)
	return int32(len(a.off) - 1)
}

func (a *nameArena) get(i int32) string {
	end := uint32(len(a.buf))
	if int(i)+1 < len(a.off) {
		end = a.off[i+1]
	}
	return string(a.buf[a.off[i]:end])
}

func (h *hashSet) add(e hashEntry) {
	if h.sizes[e.alg] == nil {
		h.sizes[e.alg] = map[int64]struct{}{}
	}
	if e.size < 0 {
		h.any[e.alg] = true
	} else {
		h.sizes[e.alg][e.size] = struct{}{}
	}
	if len(h.names.off) >= 1<<31-1 || len(h.names.buf)+len(e.name) >= 1<<32-1 {
		return // beyond any real database
	}
	idx := h.names.add(e.name)
	var dup bool
	switch e.alg {
	case algMD5:
		if h.md5 == nil {
			h.md5 = map[key16]int32{}
		}
		k := key16{size: e.size, sum: [16]byte(e.sum[:16])}
		_, dup = h.md5[k]
		h.md5[k] = idx
	case algSHA1:
		if h.sha1 == nil {
			h.sha1 = map[key20]int32{}
		}
		k := key20{size: e.size, sum: [20]byte(e.sum[:20])}
		_, dup = h.sha1[k]
		h.sha1[k] = idx
	case algSHA256:
		if h.sha256 == nil {
			h.sha256 = map[key32]int32{}
		}
		k := key32{size: e.size, sum: e.sum}
		_, dup = h.sha256[k]
		h.sha256[k] = idx
	}
	if !dup {
		h.n++
	}
}

func (h *hashSet) find(alg hashAlg, size int64, sum *[32]byte) (int32, bool) {
	var i int32
	var ok bool
	switch alg {
	case algMD5:
		i, ok = h.md5[key16{size: size, sum: [16]byte(sum[:16])}]
	case algSHA1:
		i, ok = h.sha1[key20{size: size, sum: [20]byte(sum[:20])}]
	case algSHA256:
		i, ok = h.sha256[key32{size: size, sum: *sum}]
	}
	return i, ok
}

// lookup returns the name of the signature matching d, if any. sums
// caches the hashes computed for d across hash sets.
func (h *hashSet) lookup(d []byte, sums *fileSums) (string, bool) {
	size := int64(len(d))
	for alg := hashAlg(0); alg < numAlgs; alg++ {
		if h.sizes[alg] == nil {
			continue
		}
		_, sized := h.sizes[alg][size]
		if !sized && !h.any[alg] {
			continue
		}
		sum := sums.get(alg, d)
		if sized {
			if i, ok := h.find(alg, size, &sum); ok {
				return h.names.get(i), true
			}
		}
		if h.any[alg] {
			if i, ok := h.find(alg, -1, &sum); ok {
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
