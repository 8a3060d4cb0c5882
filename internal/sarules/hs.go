//go:build hyperscan && cgo

package sarules

// Hyperscan prefilter (see hs_pattern.go): built with -tags hyperscan and
// Hyperscan's headers and library (Debian: libhyperscan-dev).

/*
#cgo LDFLAGS: -lhs
#include <hs/hs.h>
#include <stdint.h>
#include <stdlib.h>

static int mw_on_match(unsigned int id, unsigned long long from, unsigned long long to,
                       unsigned int flags, void *ctx) {
	uint64_t *bits = (uint64_t *)ctx;
	bits[id >> 6] |= (uint64_t)1 << (id & 63);
	return 0;
}

static const char mw_empty[1] = {0};

// mw_scan sets in bits the ids of the patterns of db that match data.
static hs_error_t mw_scan(const hs_database_t *db, const char *data, unsigned int len,
                          hs_scratch_t *scratch, uint64_t *bits) {
	if (len == 0) {
		data = mw_empty;
	}
	return hs_scan(db, data, len, 0, scratch, mw_on_match, bits);
}

// mw_compile compiles n patterns (ids 0..n-1) with the same flags into
// a block-mode database; on failure *bad is the failing pattern (-1 if
// none in particular) and *msg the message (to free with free).
static hs_error_t mw_compile(const char *const *exprs, unsigned int n, unsigned int flags,
                             hs_database_t **db, int *bad, char **msg) {
	unsigned int *fl = malloc(sizeof(unsigned int) * n);
	unsigned int *ids = malloc(sizeof(unsigned int) * n);
	for (unsigned int i = 0; i < n; i++) {
		fl[i] = flags;
		ids[i] = i;
	}
	hs_compile_error_t *err = NULL;
	hs_error_t rc = hs_compile_multi(exprs, fl, ids, n, HS_MODE_BLOCK, NULL, db, &err);
	free(fl);
	free(ids);
	*bad = -1;
	*msg = NULL;
	if (rc != HS_SUCCESS && err != NULL) {
		*bad = err->expression;
		size_t l = 0;
		while (err->message[l]) l++;
		*msg = malloc(l + 1);
		for (size_t i = 0; i <= l; i++) (*msg)[i] = err->message[i];
		hs_free_compile_error(err);
	}
	return rc;
}
*/
import "C"

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// HyperscanBuilt reports whether this binary has the Hyperscan prefilter.
const HyperscanBuilt = true

// hsDB is one compiled database, of one hsGroup. It frees its database
// when unreachable (nothing it points to points back).
type hsDB struct {
	db   *C.hs_database_t
	n    int // patterns
	pool *hsPool
}

// hsPool is the scratch space to scan a ruleset's databases: proto is
// sized for all of them and cloned for each concurrent scan.
type hsPool struct {
	proto   *C.hs_scratch_t
	scratch sync.Pool // of *hsScratch
}

type hsScratch struct{ s *C.hs_scratch_t }

// hsFlags: every pattern spells out its case and dot handling (see
// hsPattern); ^ and $ are the multi-line anchors.
const hsFlags = C.HS_FLAG_MULTILINE | C.HS_FLAG_SINGLEMATCH | C.HS_FLAG_ALLOWEMPTY | C.HS_FLAG_PREFILTER

// CompileHyperscan compiles the ruleset's Hyperscan prefilter and puts
// it to use: checks that start afterwards use it (checks never wait for
// it, and before it is ready run on the engine's own prefilters). It
// takes seconds for the stock rules, so a daemon runs it in the
// background. With cacheDir set, compiled databases are kept there and
// reused when the same patterns are compiled again (other .hsdb files in
// it are removed). Patterns Hyperscan refuses are left out: their rules
// keep the engine's own prefilters.
func (rs *Ruleset) CompileHyperscan(cacheDir string) (HyperscanStats, error) {
	var st HyperscanStats
	start := time.Now()
	pool := &hsPool{}
	runtime.SetFinalizer(pool, func(pool *hsPool) {
		if pool.proto != nil {
			C.hs_free_scratch(pool.proto)
		}
	})
	state := &hsState{refs: make([]hsRef, len(rs.order))}
	keep := map[string]bool{}
	var firstErr error
	for _, g := range rs.hsGroups {
		db, kept, cached, name, err := hsGroupDB(g, pool, cacheDir)
		if name != "" {
			keep[name] = true
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if db == nil {
			continue
		}
		if C.hs_alloc_scratch(db.db, &pool.proto) != C.HS_SUCCESS {
			return st, fmt.Errorf("hyperscan: scratch for %s", g.key)
		}
		st.Databases++
		st.Cached += btoi(cached)
		for id, idx := range kept {
			state.refs[idx] = hsRef{db: db, id: int32(id)}
		}
		st.Rules += len(kept)
	}
	for _, g := range rs.hsGroups {
		st.Refused += len(g.rules)
	}
	st.Refused -= st.Rules
	if cacheDir != "" {
		hsPruneCache(cacheDir, keep)
	}
	st.Took = time.Since(start)
	if st.Databases == 0 {
		if firstErr == nil {
			firstErr = errors.New("hyperscan: no pattern compiled")
		}
		return st, firstErr
	}
	rs.hs.Store(state)
	return st, nil
}

// hsGroupDB returns the database of one group, from the cache or
// compiled, with the Rule.idx of each pattern id and the cache file name
// ("" without a cache). Patterns Hyperscan refuses are dropped one by one
// (each drop recompiles the group).
func hsGroupDB(g hsGroup, pool *hsPool, cacheDir string) (db *hsDB, kept []int32, cached bool, name string, err error) {
	pats, kept := append([]string(nil), g.pats...), append([]int32(nil), g.rules...)
	var good []int32 // indexes into g of the kept patterns, for the cache
	for i := range g.pats {
		good = append(good, int32(i))
	}
	if cacheDir != "" {
		name = hsCacheName(g.pats)
		if c, idx, ok := hsLoadCache(filepath.Join(cacheDir, name), len(g.pats)); ok {
			kept = kept[:0]
			for _, i := range idx {
				kept = append(kept, g.rules[i])
			}
			return hsWrap(c, len(idx), pool), kept, true, name, nil
		}
	}
	// patterns Hyperscan cannot parse are dropped before the (slow)
	// compile of the whole group
	n := 0
	for i, pat := range pats {
		if hsParses(pat) {
			pats[n], kept[n], good[n] = pats[i], kept[i], good[i]
			n++
		}
	}
	pats, kept, good = pats[:n], kept[:n], good[:n]
	for len(pats) > 0 {
		c, bad, cerr := hsCompile(pats)
		if cerr == nil {
			if cacheDir != "" {
				hsSaveCache(filepath.Join(cacheDir, name), c, good)
			}
			return hsWrap(c, len(pats), pool), kept, false, name, nil
		}
		err = fmt.Errorf("%s: %w", g.key, cerr)
		if bad < 0 || bad >= len(pats) {
			return nil, nil, false, name, err
		}
		pats = append(pats[:bad], pats[bad+1:]...)
		kept = append(kept[:bad], kept[bad+1:]...)
		good = append(good[:bad], good[bad+1:]...)
	}
	return nil, nil, false, name, err
}

func hsWrap(c *C.hs_database_t, n int, pool *hsPool) *hsDB {
	d := &hsDB{db: c, n: n, pool: pool}
	runtime.SetFinalizer(d, func(d *hsDB) { C.hs_free_database(d.db) })
	return d
}

// hsParses reports whether Hyperscan accepts pat (it parses it and
// analyses it alone, without building a database).
func hsParses(pat string) bool {
	cs := C.CString(pat)
	defer C.free(unsafe.Pointer(cs))
	var info *C.hs_expr_info_t
	var cerr *C.hs_compile_error_t
	if C.hs_expression_info(cs, hsFlags, &info, &cerr) != C.HS_SUCCESS {
		if cerr != nil {
			C.hs_free_compile_error(cerr)
		}
		return false
	}
	C.free(unsafe.Pointer(info))
	return true
}

// The cache: a file per group named after the hash of Hyperscan's
// version, the flags and the group's patterns, holding the ids (indexes
// into the group) of the patterns kept, then the serialized database.

func hsCacheName(pats []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", C.GoString(C.hs_version()), hsFlags)
	for _, p := range pats {
		fmt.Fprintf(h, "%d:%s\x00", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil)[:16]) + ".hsdb"
}

func hsLoadCache(path string, npats int) (*C.hs_database_t, []int32, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 4 {
		return nil, nil, false
	}
	k := int(binary.LittleEndian.Uint32(b))
	if k > npats || len(b) < 4+4*k+1 {
		return nil, nil, false
	}
	idx := make([]int32, k)
	for i := range idx {
		idx[i] = int32(binary.LittleEndian.Uint32(b[4+4*i:]))
		if idx[i] < 0 || int(idx[i]) >= npats {
			return nil, nil, false
		}
	}
	ser := b[4+4*k:]
	var db *C.hs_database_t
	if C.hs_deserialize_database((*C.char)(unsafe.Pointer(&ser[0])), C.size_t(len(ser)), &db) != C.HS_SUCCESS {
		return nil, nil, false
	}
	return db, idx, true
}

// hsSaveCache writes a group's database (best effort: a failed write
// only means compiling again next time).
func hsSaveCache(path string, db *C.hs_database_t, idx []int32) {
	var ser *C.char
	var n C.size_t
	if C.hs_serialize_database(db, &ser, &n) != C.HS_SUCCESS {
		return
	}
	defer C.free(unsafe.Pointer(ser))
	b := make([]byte, 4+4*len(idx), 4+4*len(idx)+int(n))
	binary.LittleEndian.PutUint32(b, uint32(len(idx)))
	for i, v := range idx {
		binary.LittleEndian.PutUint32(b[4+4*i:], uint32(v))
	}
	b = append(b, unsafe.Slice((*byte)(unsafe.Pointer(ser)), int(n))...)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o644) == nil {
		os.Rename(tmp, path)
	}
}

// hsPruneCache removes the .hsdb files of dir not in keep.
func hsPruneCache(dir string, keep map[string]bool) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".hsdb") && !keep[n] {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// hsCompile compiles patterns into a database; on failure bad is the
// pattern at fault (-1 if none in particular).
func hsCompile(pats []string) (*C.hs_database_t, int, error) {
	cs := make([]*C.char, len(pats))
	for i, s := range pats {
		cs[i] = C.CString(s)
	}
	defer func() {
		for _, c := range cs {
			C.free(unsafe.Pointer(c))
		}
	}()
	arr := (**C.char)(C.malloc(C.size_t(len(cs)) * C.size_t(unsafe.Sizeof(cs[0]))))
	defer C.free(unsafe.Pointer(arr))
	copy(unsafe.Slice(arr, len(cs)), cs)
	var db *C.hs_database_t
	var bad C.int
	var msg *C.char
	rc := C.mw_compile(arr, C.uint(len(pats)), hsFlags, &db, &bad, &msg)
	if rc == C.HS_SUCCESS {
		return db, -1, nil
	}
	err := fmt.Errorf("hyperscan: compile error %d", int(rc))
	if msg != nil {
		err = fmt.Errorf("hyperscan: %s", C.GoString(msg))
		C.free(unsafe.Pointer(msg))
	}
	return nil, int(bad), err
}

func (pool *hsPool) get() *hsScratch {
	if s, ok := pool.scratch.Get().(*hsScratch); ok {
		return s
	}
	s := &hsScratch{}
	if C.hs_clone_scratch(pool.proto, &s.s) != C.HS_SUCCESS {
		return nil
	}
	runtime.SetFinalizer(s, func(s *hsScratch) { C.hs_free_scratch(s.s) })
	return s
}

// scan sets in found (zeroed, a bit per pattern) the patterns that may
// match s; on a scan error every bit (nothing is ruled out).
func (db *hsDB) scan(s string, found []uint64) {
	sc := db.pool.get()
	rc := C.hs_error_t(C.HS_NOMEM)
	if sc != nil {
		var data *C.char
		if len(s) > 0 {
			data = (*C.char)(unsafe.Pointer(unsafe.StringData(s)))
		}
		rc = C.mw_scan(db.db, data, C.uint(len(s)), sc.s, (*C.uint64_t)(unsafe.Pointer(&found[0])))
		runtime.KeepAlive(s)
		db.pool.scratch.Put(sc)
	}
	if rc != C.HS_SUCCESS {
		for i := range found {
			found[i] = ^uint64(0)
		}
	}
}

// size is the number of patterns.
func (db *hsDB) size() int { return db.n }
