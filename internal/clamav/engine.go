package clamav

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"mailwall/internal/clamav/unpack"
)

// Options are the limits and modes of a scan, named like clamd.conf's.
// A zero limit means no limit.
type Options struct {
	MaxScanSize     int64         // bytes scanned in all, containers' members included
	MaxFileSize     int64         // bytes of one file or member
	MaxRecursion    int           // container nesting depth
	MaxFiles        int           // members extracted
	MaxScanTime     time.Duration // wall time of one scan
	MaxRatio        int           // bytes one container may expand to per byte of it
	AllMatch        bool          // report every signature, not just the first
	DetectEncrypted bool          // encrypted members give Heuristics.Encrypted.*
}

// DefaultOptions returns ClamAV's defaults.
func DefaultOptions() Options {
	return Options{
		MaxScanSize:     400 << 20,
		MaxFileSize:     100 << 20,
		MaxRecursion:    17,
		MaxFiles:        10000,
		MaxScanTime:     120 * time.Second,
		MaxRatio:        250,
		DetectEncrypted: true,
	}
}

// Engine scans with one DB and one set of Options. It is safe for
// concurrent use; to reload, build a new DB and Engine and swap them.
type Engine struct {
	db *DB
	o  Options
}

// NewEngine returns an Engine over db.
func NewEngine(db *DB, o Options) *Engine { return &Engine{db: db, o: o} }

// DB returns the database the engine scans with.
func (e *Engine) DB() *DB { return e.db }

// Result is the outcome of one scan.
type Result struct {
	// Infected is true when a signature matched.
	Infected bool
	// Names are the signatures found: the first, or all with AllMatch.
	Names []string
	// Scanned is the number of bytes scanned, members included.
	Scanned int64
	// Files is the number of files scanned: the input and its members.
	Files int
	// Heuristic names a limit reached or an encrypted member, e.g.
	// "Heuristics.Limits.Exceeded.MaxRecursion"; "" if none. A limit is
	// never a silent OK: a caller treats a non-empty Heuristic as a
	// finding of its own.
	Heuristic string
}

// Name returns the verdict name: the first signature, else the heuristic.
func (r *Result) Name() string {
	if len(r.Names) > 0 {
		return r.Names[0]
	}
	return r.Heuristic
}

// ScanBytes scans b; name is used only to help file typing (may be "").
func (e *Engine) ScanBytes(ctx context.Context, b []byte, name string) (*Result, error) {
	s := e.newScan(ctx)
	if e.o.MaxFileSize > 0 && int64(len(b)) > e.o.MaxFileSize {
		b = b[:e.o.MaxFileSize]
		s.heuristic("MaxFileSize")
	}
	err := s.file(b, name, 0)
	if err != nil && !errors.Is(err, errStop) {
		return s.res, err
	}
	return s.res, nil
}

// ScanReader reads r into memory, at most MaxFileSize bytes (the rest is
// left unread and the result carries Heuristics.Limits.Exceeded.MaxFileSize),
// and scans it.
func (e *Engine) ScanReader(ctx context.Context, r io.Reader, name string) (*Result, error) {
	limit := e.o.MaxFileSize
	if limit <= 0 {
		limit = 1<<63 - 2
	}
	bp := readPool.Get().(*[]byte)
	defer putReadBuf(bp)
	b, err := readAllInto((*bp)[:0], r, limit+1)
	*bp = b
	if err != nil {
		return nil, fmt.Errorf("scan %s: read: %w", name, err)
	}
	return e.ScanBytes(ctx, b, name)
}

// Input buffers are reused between scans: a scan's members alias its
// input only until ScanBytes returns, and nothing of them is kept in the
// Result. Buffers above maxPooledRead are left to the garbage collector.
const maxPooledRead = 4 << 20

var readPool = sync.Pool{New: func() any { return new([]byte) }}

func putReadBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledRead {
		*bp = (*bp)[:0]
		readPool.Put(bp)
	}
}

// readAllInto appends r's bytes to b up to max bytes in all, like
// io.ReadAll(io.LimitReader(r, max)) without its garbage when b is big
// enough already.
func readAllInto(b []byte, r io.Reader, max int64) ([]byte, error) {
	for int64(len(b)) < max {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the growth
		}
		room := cap(b) - len(b)
		if rem := max - int64(len(b)); int64(room) > rem {
			room = int(rem)
		}
		n, err := r.Read(b[len(b) : len(b)+room])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// ScanFile scans the file at path.
func (e *Engine) ScanFile(ctx context.Context, path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	n := st.Size()
	fits := st.Mode().IsRegular() && n > 0 && (e.o.MaxFileSize <= 0 || n <= e.o.MaxFileSize)
	if fits && n >= minMmap {
		if r, err := e.scanMapped(ctx, f, n); r != nil || err == nil {
			return r, err
		}
		// Mapping refused (some file systems): read it instead.
	}
	if fits {
		// Read a regular file into a pooled buffer of at least its size.
		bp := readPool.Get().(*[]byte)
		defer putReadBuf(bp)
		if int64(cap(*bp)) < n {
			*bp = make([]byte, n)
		}
		b := (*bp)[:n]
		if _, err := io.ReadFull(f, b); err != nil {
			return nil, fmt.Errorf("scan %s: read: %w", path, err)
		}
		return e.ScanBytes(ctx, b, path)
	}
	return e.ScanReader(ctx, f, path)
}

// errStop ends a scan early once a signature is found (not AllMatch).
var errStop = errors.New("clamav: stop")

// scan is the state of one ScanBytes call.
type scan struct {
	e        *Engine
	ctx      context.Context
	budget   *unpack.Budget
	deadline time.Time
	res      *Result
	seen     map[string]bool
}

func (e *Engine) newScan(ctx context.Context) *scan {
	s := &scan{e: e, ctx: ctx, res: &Result{}, seen: map[string]bool{}}
	if e.o.MaxScanTime > 0 {
		s.deadline = time.Now().Add(e.o.MaxScanTime)
	}
	s.budget = unpack.NewBudget(e.o.MaxFileSize, e.o.MaxScanSize, e.o.MaxFiles, e.o.MaxRatio, s.deadline)
	// A member is scanned (and its own members) before its emit returns,
	// and nothing of its bytes outlives that.
	s.budget.ReuseBuffers()
	return s
}

func (s *scan) heuristic(limit string) {
	if s.res.Heuristic == "" {
		s.res.Heuristic = "Heuristics.Limits.Exceeded." + limit
	}
}

// found records a signature; it returns errStop unless AllMatch.
func (s *scan) found(name string) error {
	if !s.seen[name] {
		s.seen[name] = true
		s.res.Names = append(s.res.Names, name)
		s.res.Infected = true
	}
	if s.e.o.AllMatch {
		return nil
	}
	return errStop
}

// file scans one file or member at the given depth, then its members.
func (s *scan) file(d []byte, name string, depth int) error {
	if err := s.ctx.Err(); err != nil {
		s.heuristic("MaxScanTime")
		return errStop
	}
	if !s.deadline.IsZero() && time.Now().After(s.deadline) {
		s.heuristic("MaxScanTime")
		return errStop
	}
	s.res.Files++
	s.res.Scanned += int64(len(d))
	if len(d) == 0 {
		return nil
	}
	var sums fileSums
	if _, ok := s.e.db.allow.lookup(d, &sums); ok {
		return nil
	}
	if err := s.match(d, &sums); err != nil {
		return err
	}
	return s.members(d, name, depth)
}

// members extracts a container's members and scans each one level deeper.
func (s *scan) members(d []byte, name string, depth int) error {
	kind := unpack.Detect(d[:min(len(d), sniffLen)], name)
	if kind == unpack.KindNone {
		return nil
	}
	if s.e.o.MaxRecursion > 0 && depth+1 > s.e.o.MaxRecursion {
		s.heuristic("MaxRecursion")
		return nil
	}
	var stop error
	err := unpack.Extract(s.ctx, kind, d, s.budget, func(m unpack.Entry) error {
		if m.Encrypted {
			if s.e.o.DetectEncrypted && s.res.Heuristic == "" {
				s.res.Heuristic = encryptedName(kind)
			}
			return nil
		}
		if err := s.file(m.Data, m.Name, depth+1); err != nil {
			stop = err
			return err
		}
		return nil
	})
	if stop != nil {
		return stop
	}
	var le *unpack.LimitError
	switch {
	case errors.As(err, &le):
		s.heuristic(le.Limit)
	case errors.Is(err, unpack.ErrEncrypted):
		if s.e.o.DetectEncrypted && s.res.Heuristic == "" {
			s.res.Heuristic = encryptedName(kind)
		}
	}
	// Other errors are malformed or unsupported containers: their bytes
	// were scanned as they are, as ClamAV does.
	return nil
}

// encryptedName is ClamAV's heuristic name for an encrypted container.
func encryptedName(k unpack.Kind) string {
	switch k {
	case unpack.KindZip:
		return "Heuristics.Encrypted.Zip"
	case unpack.KindRar:
		return "Heuristics.Encrypted.RAR"
	case unpack.Kind7z:
		return "Heuristics.Encrypted.7Zip"
	case unpack.KindPDF:
		return "Heuristics.Encrypted.PDF"
	}
	return "Heuristics.Encrypted." + string(k)
}
