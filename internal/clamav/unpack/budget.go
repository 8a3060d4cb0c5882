package unpack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLimit is matched (errors.Is) by every *LimitError.
var ErrLimit = errors.New("unpack: limit exceeded")

// ErrEncrypted reports a container whose directory itself is encrypted, so
// no member can even be named.
var ErrEncrypted = errors.New("encrypted")

// LimitError names the limit that stopped an extraction: "MaxFileSize",
// "MaxScanSize", "MaxFiles", "MaxRatio" or "MaxScanTime".
type LimitError struct {
	Limit  string
	Detail string // what hit it, for the log; may be empty
}

func (e *LimitError) Error() string {
	if e.Detail != "" {
		return "limit " + e.Limit + " exceeded: " + e.Detail
	}
	return "limit " + e.Limit + " exceeded"
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// ratioFloor is the output an Extract call may always produce regardless of
// MaxRatio: a 544-byte file of zeros compresses 50:1, and ratios only matter
// when the output is big enough to hurt.
const ratioFloor = 1 << 20

// readChunk is how much is decoded between two budget checks.
const readChunk = 64 << 10

var timeZero time.Time

// Budget is the allowance of one scan, shared by every Extract call of it.
// A zero limit means unlimited. It is safe for concurrent use.
type Budget struct {
	maxFileSize, maxScanSize int64
	maxFiles                 int64
	maxRatio                 int64
	deadline                 time.Time

	scanned atomic.Int64
	files   atomic.Int64

	reuse bool // see ReuseBuffers
}

// ReuseBuffers lets decoders recycle a member's buffer once emit has
// returned for it: the caller promises to keep no Entry.Data past its
// emit call. It must be called before the Budget is first used.
func (b *Budget) ReuseBuffers() { b.reuse = true }

// Decoded members of at most maxPooledMember bytes go back to memberPool
// after their emit when the Budget allows it.
const maxPooledMember = 1 << 20

var memberPool = sync.Pool{New: func() any { return new([]byte) }}

// buffer returns a recycled buffer for a member decoded from in bytes, or
// nil when the Budget does not allow reuse or the member may be big.
func (x *run) buffer(in int) *[]byte {
	if !x.b.reuse || in > maxPooledMember {
		return nil
	}
	return memberPool.Get().(*[]byte)
}

// release returns a buffer from buffer (nil is ignored) holding data.
func (x *run) release(bp *[]byte, data []byte) {
	if bp == nil || cap(data) > maxPooledMember*2 {
		return
	}
	*bp = data[:0]
	memberPool.Put(bp)
}

// NewBudget returns a Budget; zero (or negative) limits and a zero deadline
// mean no limit.
func NewBudget(maxFileSize, maxScanSize int64, maxFiles, maxRatio int, deadline time.Time) *Budget {
	return &Budget{maxFileSize: maxFileSize, maxScanSize: maxScanSize,
		maxFiles: int64(maxFiles), maxRatio: int64(maxRatio), deadline: deadline}
}

// Scanned returns the bytes emitted so far.
func (b *Budget) Scanned() int64 { return b.scanned.Load() }

// Files returns the members emitted so far.
func (b *Budget) Files() int64 { return b.files.Load() }

// run is the state of one Extract call.
type run struct {
	b    *Budget
	in   int64 // input size, the base of MaxRatio
	out  int64 // bytes decoded by this call
	emit func(Entry) error
}

func (x *run) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &LimitError{Limit: "MaxScanTime", Detail: err.Error()}
	}
	if !x.b.deadline.IsZero() && time.Now().After(x.b.deadline) {
		return &LimitError{Limit: "MaxScanTime"}
	}
	return nil
}

// grow accounts n more decoded bytes to this call's ratio.
func (x *run) grow(n int64) error {
	x.out += n
	if x.b.maxRatio > 0 && x.out > ratioFloor && x.out > x.in*x.b.maxRatio {
		return &LimitError{Limit: "MaxRatio", Detail: fmt.Sprintf("%d bytes from %d", x.out, x.in)}
	}
	return nil
}

// fileCap is the most one member may hold.
func (x *run) fileCap() int64 {
	if x.b.maxFileSize > 0 {
		return x.b.maxFileSize
	}
	return 1<<63 - 1
}

// read decodes r into memory, at most MaxFileSize bytes, checking the clock
// and the ratio every readChunk bytes. hint is a declared size (-1 unknown)
// used only to size the buffer, and never beyond the cap.
func (x *run) read(ctx context.Context, r io.Reader, hint int64) ([]byte, error) {
	limit := x.fileCap()
	if hint > limit {
		return nil, &LimitError{Limit: "MaxFileSize", Detail: fmt.Sprintf("declared %d bytes", hint)}
	}
	var buf bytes.Buffer
	if hint > 0 {
		buf.Grow(int(min(hint, readChunk*16)))
	}
	for {
		if err := x.check(ctx); err != nil {
			return nil, err
		}
		step := int64(readChunk)
		if rem := limit - int64(buf.Len()); rem < step {
			step = rem + 1 // one byte more tells "over the limit" from "exactly at it"
		}
		n, err := io.CopyN(&buf, r, step)
		if gerr := x.grow(n); gerr != nil {
			return nil, gerr
		}
		if int64(buf.Len()) > limit {
			return nil, &LimitError{Limit: "MaxFileSize", Detail: fmt.Sprintf("over %d bytes", limit)}
		}
		if errors.Is(err, io.EOF) {
			return buf.Bytes(), nil
		}
		if err != nil {
			return buf.Bytes(), err
		}
	}
}

// put emits one member after charging it to the scan's budget.
func (x *run) put(ctx context.Context, e Entry) error {
	if err := x.check(ctx); err != nil {
		return err
	}
	if f := x.b.files.Add(1); x.b.maxFiles > 0 && f > x.b.maxFiles {
		return &LimitError{Limit: "MaxFiles", Detail: e.Name}
	}
	if int64(len(e.Data)) > x.fileCap() {
		return &LimitError{Limit: "MaxFileSize", Detail: e.Name}
	}
	if s := x.b.scanned.Add(int64(len(e.Data))); x.b.maxScanSize > 0 && s > x.b.maxScanSize {
		return &LimitError{Limit: "MaxScanSize", Detail: e.Name}
	}
	return x.emit(e)
}

// putRaw emits bytes that were copied, not decoded: they count to the ratio
// like decoded ones so that one call's total output stays bounded.
func (x *run) putRaw(ctx context.Context, name string, data []byte) error {
	if err := x.grow(int64(len(data))); err != nil {
		return err
	}
	return x.put(ctx, Entry{Name: name, Data: data})
}

// putPartial emits what a decoder produced before failing (a truncated
// stream still deserves a scan) and then returns the decoder's error.
func (x *run) putPartial(ctx context.Context, name string, out []byte, err error) error {
	if len(out) > 0 || err == nil {
		if perr := x.put(ctx, Entry{Name: name, Data: out}); perr != nil {
			return perr
		}
	}
	return err
}

// recoverLib runs a third-party decoder and turns its panic on hostile
// input into an error.
// QUIRK: bodgit/sevenzip and rardecode have panicked on fuzzed archives;
// a scanner must report "corrupt", not die.
func recoverLib(name string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s decoder panic: %v", name, r)
		}
	}()
	return fn()
}

// errorsIsLimit reports a limit error: decoders of members keep going past
// a corrupt member but never past a limit.
func errorsIsLimit(err error) bool { return errors.Is(err, ErrLimit) }
