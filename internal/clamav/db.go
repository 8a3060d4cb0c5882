package clamav

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DB is a compiled, immutable signature database. It is safe for
// concurrent use by any number of Engines.
type DB struct {
	names []string // ndb signature names
	raw   *matcher // targets other than 3 and 7, on the file's bytes
	html  *matcher // target 3, on normalised HTML
	text  *matcher // target 7, on normalised text
	// textProbe: text may be probed before it is normalised (probe.go).
	textProbe bool
	ldbs      []logicalSig
	hashes    hashSet // .hdb .hsb
	sections  hashSet // .mdb .msb
	allow     hashSet // .fp .sfp
	version   string
	built     time.Time
	stats     LoadStats
}

type logicalSig struct {
	name           string
	target         uint8
	size, ep, nsec rangeCond
	expr           *node
	nsub           int
}

// LoadStats counts what a load found, per kind, and what it skipped.
type LoadStats struct {
	Files     int // database files read (members of containers included)
	Hash      int // .hdb/.hsb signatures
	Section   int // .mdb/.msb signatures
	Body      int // .ndb signatures
	Logical   int // .ldb signatures
	Allow     int // .fp/.sfp entries
	Ignored   int // signatures dropped by .ign2
	Skipped   int // well-formed entries not loaded (see SkipReasons)
	Malformed int // lines that do not parse (Lint lists them)
	// SkipReasons counts skipped entries and files by reason, such as
	// "flevel 255", "PCRE subsignature" or "unsupported file .wdb".
	SkipReasons map[string]int
}

// Signatures returns the number of signatures loaded (allow-list entries
// not included), the figure clamscan prints as "Known viruses".
func (db *DB) Signatures() int {
	s := db.stats
	return s.Hash + s.Section + s.Body + s.Logical
}

// Version returns the version of the daily database (or of the newest
// container when there is no daily), "0" when no container was loaded.
func (db *DB) Version() string { return db.version }

// Time returns when the daily database (or the newest container, when
// there is no daily) was built, from its header; zero when no container
// was loaded. clamd's VERSION reply shows it.
func (db *DB) Time() time.Time { return db.built }

// Stats returns the load counters.
func (db *DB) Stats() LoadStats {
	s := db.stats
	s.SkipReasons = make(map[string]int, len(db.stats.SkipReasons))
	for k, v := range db.stats.SkipReasons {
		s.SkipReasons[k] = v
	}
	return s
}

// dbFile is one database file to load: loose on disk or from a container.
type dbFile struct {
	path     string // for messages: "dir/x.ndb" or "main.cvd:main.ndb"
	ext      string // ".ndb"
	data     []byte
	official bool // from a .cvd/.cld: names get no ".UNOFFICIAL" suffix
}

// The extensions this engine loads; others are skipped and counted.
var loadable = map[string]bool{
	".hdb": true, ".hsb": true, ".mdb": true, ".msb": true, ".ndb": true,
	".ldb": true, ".fp": true, ".sfp": true, ".ign2": true, ".ign": true,
}

// Load loads every database file in dir: .cvd and .cld containers (when
// both X.cvd and X.cld exist, the newer one) and loose files.
func Load(dir string) (*DB, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	var paths []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(paths)
	paths, err = newestContainers(paths)
	if err != nil {
		return nil, err
	}
	return LoadFiles(paths...)
}

// newestContainers drops X.cvd or X.cld when both exist, keeping the one
// with the higher version (the .cld on a tie, as freshclam made it later).
func newestContainers(paths []string) ([]string, error) {
	ver := map[string]int{}
	for _, p := range paths {
		if ext := filepath.Ext(p); ext == ".cvd" || ext == ".cld" {
			h, err := readCVDHeader(p)
			if err != nil {
				return nil, err
			}
			ver[p] = h.version
		}
	}
	var out []string
	for _, p := range paths {
		base := strings.TrimSuffix(p, filepath.Ext(p))
		switch filepath.Ext(p) {
		case ".cvd":
			if v, ok := ver[base+".cld"]; ok && v >= ver[p] {
				continue
			}
		case ".cld":
			if v, ok := ver[base+".cvd"]; ok && v > ver[p] {
				continue
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func readCVDHeader(p string) (cvdHeader, error) {
	f, err := os.Open(p)
	if err != nil {
		return cvdHeader{}, fmt.Errorf("load %s: %w", p, err)
	}
	defer f.Close()
	h := make([]byte, cvdHeaderLen)
	if _, err := f.ReadAt(h, 0); err != nil {
		return cvdHeader{}, fmt.Errorf("load %s: header: %w", p, err)
	}
	c, err := parseCVDHeader(h)
	if err != nil {
		return c, fmt.Errorf("load %s: %w", p, err)
	}
	return c, nil
}

// LoadFiles loads the given database files (containers included).
func LoadFiles(paths ...string) (*DB, error) {
	b := newBuilder()
	for _, p := range paths {
		if err := b.addPath(p); err != nil {
			return nil, err
		}
	}
	return b.build(), nil
}

// addPath reads one file; a container is opened and its members queued.
func (b *builder) addPath(p string) error {
	ext := strings.ToLower(filepath.Ext(p))
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("load %s: %w", p, err)
	}
	if ext != ".cvd" && ext != ".cld" {
		b.files = append(b.files, dbFile{path: p, ext: ext, data: data})
		return nil
	}
	h, members, err := openCVD(data, ext == ".cvd")
	if err != nil {
		return fmt.Errorf("load %s: %w", p, err)
	}
	b.noteVersion(filepath.Base(p), h.version, h.stime)
	for _, m := range members {
		b.files = append(b.files, dbFile{path: p + ":" + m.name,
			ext: strings.ToLower(filepath.Ext(m.name)), data: m.data, official: true})
	}
	return nil
}

func (b *builder) noteVersion(name string, v int, stime int64) {
	if strings.HasPrefix(name, "daily.") {
		b.daily, b.dailyTime = v, stime
	}
	if v > b.newest {
		b.newest, b.newestTime = v, stime
	}
}

// eachLine calls fn with every non-empty, non-comment line and its number.
// A line too long to be a signature (over maxLine) ends the file with an
// error naming the line after the last one read.
func eachLine(data []byte, fn func(n int, line string)) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r \t")
		if line == "" || line[0] == '#' {
			continue
		}
		fn(n, line)
	}
	return n + 1, sc.Err()
}

// maxLine bounds one database line; ClamAV's longest signatures are far
// shorter.
const maxLine = 16 << 20

func versionString(daily, newest int) string {
	if daily > 0 {
		return strconv.Itoa(daily)
	}
	return strconv.Itoa(newest)
}
