package sarules

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// # Rule file format
//
// A .cf file is a list of lines "directive value". '#' starts a comment
// unless escaped as '\#'. Conditionals nest:
//
//	ifplugin Mail::SpamAssassin::Plugin::X   (present: mailwall implements X)
//	if (version >= 3.004000) / if can(Mail::SpamAssassin::Conf::feature_y)
//	else
//	endif
//
// "include FILE" reads FILE relative to the including file's directory.
// Files are read in SpamAssassin's order: each directory's *.cf files
// sorted by name, directories in the order given, then LoadOptions.LocalCF,
// then LoadOptions.Prefs (per-user preferences).

// Severity of a Diagnostic.
type Severity int

const (
	Error Severity = iota
	Warning
	Notice
)

func (s Severity) String() string {
	return [...]string{"error", "warning", "notice"}[s]
}

// Diagnostic is one problem found while loading rules.
type Diagnostic struct {
	File     string
	Line     int
	Severity Severity
	Msg      string
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", d.File, d.Line, d.Severity, d.Msg)
}

// LoadOptions tunes Load.
type LoadOptions struct {
	// LocalCF are site files read after the directories (local.cf).
	LocalCF []string
	// Prefs is a per-user preferences file read last ("" = none).
	Prefs string
	// Extra is config text appended after everything (e.g. "use_bayes 0").
	Extra string
	// Version is the SpamAssassin version "if (version >= ...)" compares
	// against; 0 means 4.000001.
	Version float64
}

// maxIncludeDepth bounds include recursion (a file including itself).
const maxIncludeDepth = 20

type parser struct {
	rs      *Ruleset
	diags   []Diagnostic
	version float64
	file    string
	line    int
	// cond is the stack of open conditionals; each entry says whether its
	// branch is active.
	cond []bool
}

// Load reads rule files and compiles a Ruleset. Problems in the files are
// diagnostics (errors make lint fail, but the Ruleset is still usable);
// err is only for I/O failures of the directories themselves.
func Load(dirs []string, opts LoadOptions) (*Ruleset, []Diagnostic, error) {
	p := &parser{rs: newRuleset(), version: opts.Version}
	if p.version == 0 {
		p.version = 4.000001
	}
	for _, d := range dirs {
		files, err := filepath.Glob(filepath.Join(d, "*.cf"))
		if err != nil {
			return nil, nil, fmt.Errorf("list %s: %w", d, err)
		}
		if _, err := os.Stat(d); err != nil {
			return nil, nil, fmt.Errorf("rules dir: %w", err)
		}
		sort.Strings(files)
		for _, f := range files {
			p.parseFile(f, 0)
		}
	}
	for _, f := range opts.LocalCF {
		p.parseFile(f, 0)
	}
	if opts.Prefs != "" {
		p.parseFile(opts.Prefs, 0)
	}
	if opts.Extra != "" {
		p.parseText("(extra)", []byte(opts.Extra), 0)
	}
	p.finish()
	return p.rs, p.diags, nil
}

// LoadText compiles rules from one text (tests, fuzzing).
func LoadText(text string) (*Ruleset, []Diagnostic) {
	p := &parser{rs: newRuleset(), version: 4.000001}
	p.parseText("(text)", []byte(text), 0)
	p.finish()
	return p.rs, p.diags
}

func (p *parser) diag(sev Severity, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{File: p.file, Line: p.line, Severity: sev, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) parseFile(path string, depth int) {
	data, err := os.ReadFile(path)
	if err != nil {
		p.diags = append(p.diags, Diagnostic{File: p.file, Line: p.line, Severity: Error, Msg: fmt.Sprintf("read %s: %v", path, err)})
		return
	}
	p.parseText(path, data, depth)
}

func (p *parser) parseText(name string, data []byte, depth int) {
	saveFile, saveLine, saveCond := p.file, p.line, p.cond
	p.file, p.line, p.cond = name, 0, nil
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		p.line++
		p.parseLine(sc.Text(), depth)
	}
	if len(p.cond) > 0 {
		p.diag(Error, "%d unclosed if/ifplugin at end of file", len(p.cond))
	}
	p.file, p.line, p.cond = saveFile, saveLine, saveCond
}

func (p *parser) active() bool {
	for _, c := range p.cond {
		if !c {
			return false
		}
	}
	return true
}

// stripComment removes a '#' comment (not '\#') and unescapes '\#'.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] != '\\') {
			line = line[:i]
			break
		}
	}
	return strings.ReplaceAll(line, `\#`, "#")
}

func (p *parser) parseLine(raw string, depth int) {
	line := strings.TrimSpace(stripComment(raw))
	if line == "" {
		return
	}
	key, value, _ := strings.Cut(line, " ")
	if i := strings.IndexAny(key, "\t"); i >= 0 {
		key, value = key[:i], key[i+1:]+" "+value
	}
	key = strings.ToLower(key)
	value = strings.TrimSpace(value)
	switch key {
	case "ifplugin":
		p.cond = append(p.cond, p.active() && pluginPresent(value))
		return
	case "if":
		ok, err := evalIf(value, p.version)
		if err != nil {
			p.diag(Error, "bad if expression %q: %v", value, err)
		}
		p.cond = append(p.cond, p.active() && ok)
		return
	case "else":
		if len(p.cond) == 0 {
			p.diag(Error, "else without if")
			return
		}
		outer := true
		for _, c := range p.cond[:len(p.cond)-1] {
			outer = outer && c
		}
		p.cond[len(p.cond)-1] = outer && !p.cond[len(p.cond)-1]
		return
	case "endif":
		if len(p.cond) == 0 {
			p.diag(Error, "endif without if")
			return
		}
		p.cond = p.cond[:len(p.cond)-1]
		return
	}
	if !p.active() {
		return
	}
	if key == "include" {
		if depth >= maxIncludeDepth {
			p.diag(Error, "include nesting deeper than %d", maxIncludeDepth)
			return
		}
		path := value
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(p.file), path)
		}
		p.parseFile(path, depth+1)
		return
	}
	p.directive(key, value)
}
