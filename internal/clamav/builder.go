package clamav

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// builder collects database files, then parses and compiles them into a DB.
type builder struct {
	files                 []dbFile
	daily, newest         int
	dailyTime, newestTime int64 // header build times, Unix seconds

	db     *DB
	ignore map[string]bool
	raw    []bodySig
	html   []bodySig
	text   []bodySig
}

func newBuilder() *builder {
	return &builder{
		db:     &DB{stats: LoadStats{SkipReasons: map[string]int{}}},
		ignore: map[string]bool{},
	}
}

// lineFn receives the outcome of one line: nil, a *skipError or a parse
// error.
type lineFn func(f *dbFile, line int, err error)

// build parses every queued file (ignore lists first, so they apply to
// all) and compiles the matchers.
func (b *builder) build() *DB {
	count := func(f *dbFile, line int, err error) {
		switch {
		case err == nil:
		case isSkip(err):
			b.skip(err.(*skipError).reason)
		default:
			b.db.stats.Malformed++
		}
	}
	b.parseAll(count)
	db := b.db
	db.hashes.finish()
	db.sections.finish()
	db.allow.finish()
	db.raw, db.html, db.text = newMatcher(b.raw), newMatcher(b.html), newMatcher(b.text)
	db.textProbe = db.text.probeable()
	db.version = versionString(b.daily, b.newest)
	switch {
	case b.daily > 0 && b.dailyTime > 0:
		db.built = time.Unix(b.dailyTime, 0).UTC()
	case b.daily == 0 && b.newestTime > 0:
		db.built = time.Unix(b.newestTime, 0).UTC()
	}
	return db
}

func (b *builder) parseAll(report lineFn) {
	for i := range b.files {
		if f := &b.files[i]; f.ext == ".ign2" || f.ext == ".ign" {
			b.db.stats.Files++
			if n, err := eachLine(f.data, func(n int, line string) { b.addIgnore(line) }); err != nil {
				report(f, n, fmt.Errorf("rest of file not read: %w", err))
			}
		}
	}
	for i := range b.files {
		f := &b.files[i]
		if f.ext == ".ign2" || f.ext == ".ign" {
			continue
		}
		if !loadable[f.ext] {
			if !metadataFile(f) {
				b.skip("unsupported file " + f.ext)
			}
			continue
		}
		b.db.stats.Files++
		b.reserve(f)
		n, err := eachLine(f.data, func(n int, line string) { report(f, n, b.addLine(f, line)) })
		if err != nil {
			report(f, n, fmt.Errorf("rest of file not read: %w", err))
		}
		f.data = nil // parsed: let the collector have it before the next
	}
}

// reserve sizes the hash tables for a hash file before it is parsed, from
// its line count and the form of its first line, so that a big database
// loads without growth slack.
func (b *builder) reserve(f *dbFile) {
	var h *hashSet
	switch f.ext {
	case ".hdb", ".hsb":
		h = &b.db.hashes
	case ".mdb", ".msb":
		h = &b.db.sections
	case ".fp", ".sfp":
		h = &b.db.allow
	default:
		return
	}
	first, _, _ := bytes.Cut(f.data, []byte("\n"))
	e, err := parseHashLine(strings.TrimRight(string(first), "\r \t"), f.ext == ".mdb" || f.ext == ".msb")
	if err != nil {
		return
	}
	n := bytes.Count(f.data, []byte("\n")) + 1
	// What a line holds besides its name: digest, size, separators.
	perLine := len(first) - len(e.name) + 1
	h.reserve(e.alg, n, len(f.data)-n*perLine+n*2)
}

func (b *builder) skip(reason string) {
	b.db.stats.Skipped++
	b.db.stats.SkipReasons[reason]++
}

// addIgnore takes an .ign2 line (NAME, or NAME:MD5 of the signature line,
// whose hash this engine does not check) or an old .ign line (DB:LINE:NAME).
func (b *builder) addIgnore(line string) {
	f := strings.Split(line, ":")
	name := f[0]
	if len(f) == 3 {
		name = f[2]
	}
	b.ignore[name] = true
}

// displayName is the name reported: ClamAV appends ".UNOFFICIAL" to
// signatures that do not come from a .cvd/.cld.
func displayName(f *dbFile, name string) string {
	if f.official {
		return name
	}
	return name + ".UNOFFICIAL"
}

func (b *builder) ignored(name string) bool {
	if b.ignore[name] {
		b.db.stats.Ignored++
		return true
	}
	return false
}

func (b *builder) addLine(f *dbFile, line string) error {
	st := &b.db.stats
	switch f.ext {
	case ".hdb", ".hsb", ".mdb", ".msb", ".fp", ".sfp":
		e, err := parseHashLine(line, f.ext == ".mdb" || f.ext == ".msb")
		if err != nil {
			return err
		}
		if e.fl > FLevel {
			return skipf("flevel %d", e.fl)
		}
		switch f.ext {
		case ".fp", ".sfp":
			b.db.allow.add(e)
			st.Allow++
			return nil
		}
		if b.ignored(e.name) {
			return nil
		}
		e.name = displayName(f, e.name)
		if f.ext == ".mdb" || f.ext == ".msb" {
			b.db.sections.add(e)
			st.Section++
		} else {
			b.db.hashes.add(e)
			st.Hash++
		}
	case ".ndb":
		e, err := parseNDBLine(line)
		if err != nil || b.ignored(e.name) {
			return err
		}
		idx := int32(len(b.db.names))
		b.db.names = append(b.db.names, displayName(f, e.name))
		b.addBody(bodySig{pat: e.pat, off: e.off, target: e.target, name: idx, ldb: -1})
		st.Body++
	case ".ldb":
		e, err := parseLDBLine(line)
		if err != nil || b.ignored(e.name) {
			return err
		}
		b.addLogical(f, e)
		st.Logical++
	default:
		return fmt.Errorf("unsupported database type %s", f.ext)
	}
	return nil
}

func (b *builder) addLogical(f *dbFile, e ldbEntry) {
	idx := int32(len(b.db.ldbs))
	b.db.ldbs = append(b.db.ldbs, logicalSig{name: displayName(f, e.name), target: e.target,
		size: e.size, ep: e.ep, nsec: e.nsec, expr: e.expr, nsub: len(e.subs)})
	for i, s := range e.subs {
		for _, p := range s.pats {
			b.addBody(bodySig{pat: p, off: s.off, target: e.target, name: -1, ldb: idx, sub: int32(i)})
		}
	}
}

func (b *builder) addBody(s bodySig) {
	switch s.target {
	case targetHTML:
		b.html = append(b.html, s)
	case targetText:
		b.text = append(b.text, s)
	default:
		b.raw = append(b.raw, s)
	}
}

// metadataFile reports container members that hold no signatures: the
// file list (.info), engine configuration (.cfg) and the licence.
func metadataFile(f *dbFile) bool {
	return f.ext == ".info" || f.ext == ".cfg" || strings.HasSuffix(f.path, ":COPYING")
}
