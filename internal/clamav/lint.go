package clamav

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Severity ranks a LintIssue.
type Severity int

const (
	// SeverityError is a line that does not parse; it is not loaded.
	SeverityError Severity = iota
	// SeverityNotice is a well-formed line this engine skips (newer
	// flevel, PCRE subsignature, unsupported feature or file type).
	SeverityNotice
)

func (s Severity) String() string {
	if s == SeverityNotice {
		return "notice"
	}
	return "error"
}

// LintIssue is one problem found in a database file. Line is 0 for
// problems with the whole file.
type LintIssue struct {
	File     string
	Line     int
	Msg      string
	Severity Severity
}

func (i LintIssue) String() string {
	return fmt.Sprintf("%s:%d: %s", i.File, i.Line, i.Msg)
}

// Lint parses the given database files (containers included; a directory
// is expanded) and lists every malformed or skipped line.
func Lint(paths ...string) []LintIssue {
	var out []LintIssue
	b := newBuilder()
	for _, p := range expandDirs(paths) {
		if err := b.addPath(p); err != nil {
			out = append(out, LintIssue{File: p, Msg: err.Error()})
		}
	}
	for i := range b.files {
		if f := &b.files[i]; !loadable[f.ext] && !metadataFile(f) {
			out = append(out, LintIssue{File: f.path, Msg: "unsupported database type " + f.ext + ", skipped", Severity: SeverityNotice})
		}
	}
	b.parseAll(func(f *dbFile, line int, err error) {
		switch {
		case err == nil:
		case isSkip(err):
			out = append(out, LintIssue{File: f.path, Line: line, Msg: err.Error(), Severity: SeverityNotice})
		default:
			out = append(out, LintIssue{File: f.path, Line: line, Msg: err.Error()})
		}
	})
	return out
}

// expandDirs replaces each directory by the regular files in it.
func expandDirs(paths []string) []string {
	var out []string
	for _, p := range paths {
		ents, err := os.ReadDir(p)
		if err != nil {
			out = append(out, p)
			continue
		}
		var names []string
		for _, e := range ents {
			if e.Type().IsRegular() {
				names = append(names, filepath.Join(p, e.Name()))
			}
		}
		sort.Strings(names)
		out = append(out, names...)
	}
	return out
}
