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

type hashKey struct {
	size int64
	sum  [32]byte
}

// hashSet finds hash signatures by (size, hash), computing a hash only when
// some signature of that algorithm has that size (or any size).
type hashSet struct {
	sizes [numAlgs]map[int64]struct{}
	any   [numAlgs]bool
	names [numAlgs]map[hashKey]string
	n     int
}

func (h *hashSet) add(e hashEntry) {
	if h.names[e.alg] == nil {
		h.names[e.alg] = map[hashKey]string{}
		h.sizes[e.alg] = map[int64]struct{}{}
	}
	if e.size < 0 {
		h.any[e.alg] = true
	} else {
		h.sizes[e.alg][e.size] = struct{}{}
	}
	k := hashKey{size: e.size, sum: e.sum}
	if _, dup := h.names[e.alg][k]; !dup {
		h.n++
	}
	h.names[e.alg][k] = e.name
}

// lookup returns the name of the signature matching d, if any. sums
// caches the hashes computed for d across hash sets.
func (h *hashSet) lookup(d []byte, sums *fileSums) (string, bool) {
	size := int64(len(d))
	for alg := hashAlg(0); alg < numAlgs; alg++ {
		if h.names[alg] == nil {
			continue
		}
		_, sized := h.sizes[alg][size]
		if !sized && !h.any[alg] {
			continue
		}
		sum := sums.get(alg, d)
		if sized {
			if n, ok := h.names[alg][hashKey{size: size, sum: sum}]; ok {
				return n, true
			}
		}
		if h.any[alg] {
			if n, ok := h.names[alg][hashKey{size: -1, sum: sum}]; ok {
				return n, true
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
