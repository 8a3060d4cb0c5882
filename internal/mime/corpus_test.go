package mime

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestCorpus parses every file under $MAILWALL_CORPUS (for example the
// SpamAssassin public corpus) and checks the tree invariants on each. It
// logs how often each flag was raised.
func TestCorpus(t *testing.T) {
	dir := os.Getenv("MAILWALL_CORPUS")
	if dir == "" {
		t.Skip("MAILWALL_CORPUS not set: point it at a directory of messages, e.g. the SpamAssassin public corpus")
	}
	counts := map[Flag]int{}
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".js") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lim := Limits{}.withDefaults()
		m, err := Parse(strings.NewReader(string(b)), int64(len(b)), lim)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		checkTree(t, m, lim)
		_ = m.Text()
		_ = m.URIs()
		for _, f := range m.Flags {
			counts[f]++
		}
		n++
		if v := os.Getenv("MAILWALL_CORPUS_FLAG"); v != "" && m.HasFlag(Flag(v)) {
			t.Logf("%s: %v", path, m.Flags)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for f, c := range counts {
		names = append(names, string(f)+"="+strconv.Itoa(c))
	}
	sort.Strings(names)
	t.Logf("%d messages; flags: %s", n, strings.Join(names, " "))
}
