package clamav

import (
	"fmt"
	"strconv"
	"strings"
)

// # Offsets
//
// An ndb/ldb offset says where a signature must start: "*" anywhere; "n";
// "EOF-n"; "EP+n" / "EP-n" (entry point); "Sx+n" (start of section x);
// "SL+n" (start of the last section); "SEx" (anywhere inside section x);
// each of the fixed forms may end in ",m" meaning anywhere in [o, o+m].

type offKind uint8

const (
	offAny offKind = iota
	offAbs
	offEOF
	offEP
	offSec
	offLast
	offSecEntire
)

type offset struct {
	kind offKind
	n    int64 // displacement (negative for EP-n); EOF-n stores n
	sec  int   // section index for offSec/offSecEntire
	span int64 // the ",m" part
}

// maxSpanDirect is the widest start range verified position by position;
// wider ranges use the anchor table and check the start afterwards.
const maxSpanDirect = 64

func parseOffset(s string) (offset, error) {
	var o offset
	if s == "*" {
		return o, nil
	}
	base, span, hasSpan := strings.Cut(s, ",")
	if hasSpan {
		m, err := strconv.ParseInt(span, 10, 64)
		if err != nil || m < 0 {
			return o, fmt.Errorf("bad offset range %q", s)
		}
		o.span = m
	}
	num := func(t string) (int64, error) {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad offset %q", s)
		}
		return n, nil
	}
	var err error
	switch {
	case strings.HasPrefix(base, "EOF-"):
		o.kind = offEOF
		o.n, err = num(base[4:])
	case strings.HasPrefix(base, "EP+"), strings.HasPrefix(base, "EP-"):
		o.kind = offEP
		o.n, err = num(base[3:])
		if base[2] == '-' {
			o.n = -o.n
		}
	case strings.HasPrefix(base, "SL+"):
		o.kind = offLast
		o.n, err = num(base[3:])
	case strings.HasPrefix(base, "SE"):
		o.kind = offSecEntire
		var x int64
		x, err = num(base[2:])
		o.sec = int(x)
	case strings.HasPrefix(base, "S"):
		o.kind = offSec
		x, rest, ok := strings.Cut(base[1:], "+")
		if !ok {
			return o, fmt.Errorf("bad offset %q", s)
		}
		var sx int64
		if sx, err = num(x); err == nil {
			o.sec = int(sx)
			o.n, err = num(rest)
		}
	default:
		o.kind = offAbs
		o.n, err = num(base)
	}
	return o, err
}

// floating reports whether the signature may start anywhere or in a range
// too wide to verify position by position.
func (o offset) floating() bool {
	return o.kind == offAny || o.kind == offSecEntire || o.span > maxSpanDirect
}

// needsExe reports whether resolving o needs the executable layout.
func (o offset) needsExe() bool {
	return o.kind == offEP || o.kind == offSec || o.kind == offLast || o.kind == offSecEntire
}

// resolve returns the allowed start range [lo, hi] in a file of size n.
func (o offset) resolve(size int64, x *exeInfo) (lo, hi int64, ok bool) {
	switch o.kind {
	case offAny:
		return 0, size, true
	case offAbs:
		lo = o.n
	case offEOF:
		lo = size - o.n
	case offEP:
		if x == nil || x.ep < 0 {
			return 0, 0, false
		}
		lo = x.ep + o.n
	case offSec, offSecEntire:
		if x == nil || o.sec >= len(x.sections) {
			return 0, 0, false
		}
		s := x.sections[o.sec]
		if o.kind == offSecEntire {
			return s.raw, s.raw + s.rawLen, true
		}
		lo = s.raw + o.n
	case offLast:
		if x == nil || len(x.sections) == 0 {
			return 0, 0, false
		}
		lo = x.sections[len(x.sections)-1].raw + o.n
	}
	if lo < 0 || lo > size {
		return 0, 0, false
	}
	return lo, lo + o.span, true
}
