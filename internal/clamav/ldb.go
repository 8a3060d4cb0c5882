package clamav

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// # Logical signature format (.ldb)
//
// NAME;TARGETDESC;EXPRESSION;SUBSIG0;SUBSIG1;... where TARGETDESC is
// comma-separated Key:Value pairs (Engine:min-max, Target:n,
// FileSize:min-max, EntryPoint:min-max, NumberOfSections:min-max are
// understood; Container, Intermediates, IconGroup and HandlerType are not,
// and skip the signature), EXPRESSION is logic.go's and each SUBSIG is
// [OFFSET:]HEXSIG[::MODIFIERS]. PCRE subsignatures (TRIGGER/regex/flags),
// byte-compare subsignatures and macros skip the signature.

// maxSubsigs is ClamAV's limit of subsignatures per logical signature.
const maxSubsigs = 64

type rangeCond struct {
	set    bool
	lo, hi int64
}

func (r rangeCond) ok(v int64) bool { return !r.set || (v >= r.lo && v <= r.hi) }

type ldbSub struct {
	off  offset
	pats []*pattern // two for the "a" modifier (ascii and wide)
}

type ldbEntry struct {
	name   string
	target uint8
	size   rangeCond
	ep     rangeCond
	nsec   rangeCond
	expr   *node
	subs   []ldbSub
}

func parseLDBLine(line string) (ldbEntry, error) {
	var e ldbEntry
	f := strings.Split(line, ";")
	if len(f) < 4 {
		return e, fmt.Errorf("want at least 4 fields, got %d", len(f))
	}
	if e.name = f[0]; e.name == "" {
		return e, errors.New("empty name")
	}
	if len(f)-3 > maxSubsigs {
		return e, fmt.Errorf("%d subsignatures, most is %d", len(f)-3, maxSubsigs)
	}
	if err := e.parseTDB(f[1]); err != nil {
		return e, err
	}
	expr, nsub, err := parseExpr(f[2])
	if err != nil {
		return e, fmt.Errorf("expression: %w", err)
	}
	if nsub > len(f)-3 {
		return e, fmt.Errorf("expression uses subsignature %d of %d", nsub-1, len(f)-3)
	}
	e.expr = expr
	for i, s := range f[3:] {
		sub, err := parseSubsig(s)
		if err != nil {
			if isSkip(err) {
				return e, err
			}
			return e, fmt.Errorf("subsignature %d: %w", i, err)
		}
		e.subs = append(e.subs, sub)
	}
	return e, nil
}

func (e *ldbEntry) parseTDB(s string) error {
	target := false
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			return fmt.Errorf("target description %q", kv)
		}
		var err error
		switch k {
		case "Target":
			e.target, err = parseTarget(v)
			target = true
		case "Engine":
			var r rangeCond
			if r, err = parseRange(v); err == nil && r.lo > FLevel {
				return skipf("flevel %d", r.lo)
			}
		case "FileSize":
			e.size, err = parseRange(v)
		case "EntryPoint":
			e.ep, err = parseRange(v)
		case "NumberOfSections":
			e.nsec, err = parseRange(v)
		case "Container", "Intermediates", "IconGroup1", "IconGroup2", "HandlerType":
			return skipf("target description %s", k)
		default:
			return fmt.Errorf("unknown target description key %q", k)
		}
		if err != nil {
			return err
		}
	}
	if !target {
		return errors.New("target description without Target")
	}
	return nil
}

func parseRange(s string) (rangeCond, error) {
	lo, hi, dash := strings.Cut(s, "-")
	a, err := strconv.ParseInt(lo, 10, 64)
	if err != nil {
		return rangeCond{}, fmt.Errorf("bad range %q", s)
	}
	b := a
	if dash {
		if b, err = strconv.ParseInt(hi, 10, 64); err != nil {
			return rangeCond{}, fmt.Errorf("bad range %q", s)
		}
	}
	return rangeCond{set: true, lo: a, hi: b}, nil
}

func parseSubsig(s string) (ldbSub, error) {
	var sub ldbSub
	body, mods, _ := strings.Cut(s, "::")
	switch {
	case strings.Contains(body, "/"):
		return sub, skipf("PCRE subsignature")
	case strings.HasPrefix(body, "${"):
		return sub, skipf("macro subsignature")
	case strings.Contains(body, "(>>") || strings.Contains(body, "(<<"):
		return sub, skipf("byte-compare subsignature")
	}
	if o, hex, ok := strings.Cut(body, ":"); ok {
		var err error
		if sub.off, err = parseOffset(o); err != nil {
			return sub, err
		}
		body = hex
	}
	var nocase, wide, ascii, full bool
	for _, m := range mods {
		switch m {
		case 'i':
			nocase = true
		case 'w':
			wide = true
		case 'a':
			ascii = true
		case 'f':
			full = true
		default:
			return sub, fmt.Errorf("unknown modifier %q", m)
		}
	}
	if !wide || ascii {
		p, err := parsePattern(body, nocase, false, full)
		if err != nil {
			return sub, err // a *skipError passes through unwrapped
		}
		sub.pats = append(sub.pats, p)
	}
	if wide {
		p, err := parsePattern(body, nocase, true, full)
		if err != nil {
			return sub, err
		}
		sub.pats = append(sub.pats, p)
	}
	return sub, nil
}
