package clamav

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// FLevel is the functionality level this engine claims, around ClamAV
// 1.4's. Signatures needing a higher level are skipped and counted.
const FLevel = 210

// # Extended signature format (.ndb)
//
// NAME:TARGET:OFFSET:HEXSIG[:MINFLEVEL[:MAXFLEVEL]] with TARGET a target
// type (filetype.go), OFFSET as in offset.go and HEXSIG as in pattern.go.

// skipError marks a well-formed line this engine does not load (newer
// flevel, unsupported feature); it is counted, never fatal.
type skipError struct{ reason string }

func (e *skipError) Error() string { return "skipped: " + e.reason }

func skipf(format string, a ...any) error { return &skipError{reason: fmt.Sprintf(format, a...)} }

func isSkip(err error) bool {
	var s *skipError
	return errors.As(err, &s)
}

type ndbEntry struct {
	name   string
	target uint8
	off    offset
	pat    *pattern
}

func parseNDBLine(line string) (ndbEntry, error) {
	var e ndbEntry
	f := strings.Split(line, ":")
	if len(f) < 4 || len(f) > 6 {
		return e, fmt.Errorf("want 4 to 6 fields, got %d", len(f))
	}
	if e.name = f[0]; e.name == "" {
		return e, errors.New("empty name")
	}
	if err := checkFLevel(f[4:]); err != nil {
		return e, err
	}
	t, err := parseTarget(f[1])
	if err != nil {
		return e, err
	}
	e.target = t
	if e.off, err = parseOffset(f[2]); err != nil {
		return e, err
	}
	if e.pat, err = parsePattern(f[3], false, false, false); err != nil {
		if isSkip(err) {
			return e, err
		}
		return e, fmt.Errorf("signature: %w", err)
	}
	return e, nil
}

func parseTarget(s string) (uint8, error) {
	if s == "*" {
		return targetAny, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad target %q", s)
	}
	if n > maxTarget {
		return 0, skipf("target type %d", n)
	}
	return uint8(n), nil
}

// checkFLevel checks optional MIN[, MAX] functionality levels.
func checkFLevel(f []string) error {
	for i, s := range f {
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("bad flevel %q", s)
		}
		if i == 0 && n > FLevel {
			return skipf("flevel %d", n)
		}
		if i == 1 && n < FLevel {
			return skipf("max flevel %d", n)
		}
	}
	return nil
}
