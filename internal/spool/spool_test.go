package spool

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

func openTemp(t *testing.T, minFree int64) *Spool {
	t.Helper()
	s, err := Open(t.TempDir(), minFree)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func store(t *testing.T, s *Spool, data []byte) string {
	t.Helper()
	w, err := s.Create()
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if w.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", w.Size(), len(data))
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return w.ID()
}

func readAll(t *testing.T, s *Spool, id string) []byte {
	t.Helper()
	m, err := s.Open(id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	defer m.Close()
	b, err := io.ReadAll(io.NewSectionReader(m, 0, m.Size()))
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return b
}

func TestCommitReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := [][]byte{
		nil,
		[]byte("Subject: hi\r\n\r\nbody\r\n"),
		bytes.Repeat([]byte("0123456789abcdef"), 100000), // larger than the buffer
	}
	ids := map[string][]byte{}
	for _, data := range tests {
		ids[store(t, s, data)] = data
	}
	s2, err := Open(dir, 0) // a restart
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.IDs()
	if err != nil || len(got) != len(tests) {
		t.Fatalf("IDs = %v, %v; want %d ids", got, err, len(tests))
	}
	for id, want := range ids {
		if b := readAll(t, s2, id); !bytes.Equal(b, want) {
			t.Errorf("message %s: got %d bytes, want %d", id, len(b), len(want))
		}
	}
	for id := range ids {
		if err := s2.Remove(id); err != nil {
			t.Fatal(err)
		}
		if _, err := s2.Open(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open after Remove: %v, want ErrNotFound", err)
		}
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	s := openTemp(t, 0)
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("partial data"))
	w.Abort()
	w.Abort() // twice is fine
	for _, sub := range []string{"tmp", "msg"} {
		ents, _ := os.ReadDir(filepath.Join(s.Dir(), sub))
		if len(ents) != 0 {
			t.Errorf("%s/ holds %d entries after Abort", sub, len(ents))
		}
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestRestartDropsUnacknowledged(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, 0)
	w, _ := s.Create()
	w.Write([]byte("cut mid-way"))
	// No Commit: the process "dies" here.
	if _, err := Open(dir, 0); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	ids, _ := s.IDs()
	if len(ents) != 0 || len(ids) != 0 {
		t.Errorf("after restart: tmp has %d, msg has %d; want 0, 0", len(ents), len(ids))
	}
}

func TestDiskFull(t *testing.T) {
	s := openTemp(t, math.MaxInt64)
	if _, err := s.Create(); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Create with huge minFree: %v, want ErrDiskFull", err)
	}
}

func TestIDsUniqueConcurrent(t *testing.T) {
	s := openTemp(t, 0)
	const workers, each = 20, 50
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				w, err := s.Create()
				if err != nil {
					t.Error(err)
					return
				}
				w.Write([]byte(w.ID()))
				if err := w.Commit(); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[w.ID()] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	ids, _ := s.IDs()
	if len(seen) != workers*each || len(ids) != workers*each {
		t.Fatalf("unique ids %d, files %d; want %d", len(seen), len(ids), workers*each)
	}
	for _, id := range ids {
		if !ValidID(id) || string(readAll(t, s, id)) != id {
			t.Fatalf("message %s holds the wrong content", id)
		}
	}
	if !sort.StringsAreSorted(ids) {
		t.Error("IDs not sorted")
	}
}

func TestIDsSortByTime(t *testing.T) {
	s := openTemp(t, 0)
	var ids []string
	for range 10 {
		ids = append(ids, store(t, s, nil))
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("IDs in creation order are not sorted: %v", ids)
	}
}

func TestInvalidIDRefused(t *testing.T) {
	s := openTemp(t, 0)
	for _, id := range []string{"", "../../etc/passwd", "ABCDEFGHIJKLMNOPQRST", "0123456789abcdefghi/"} {
		if _, err := s.Open(id); err == nil {
			t.Errorf("Open(%q) succeeded", id)
		}
		if err := s.Remove(id); err == nil {
			t.Errorf("Remove(%q) succeeded", id)
		}
	}
}

func TestMarkCorrupt(t *testing.T) {
	s := openTemp(t, 0)
	id := store(t, s, []byte("x"))
	if err := s.MarkCorrupt(id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("corrupt message still openable: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "corrupt", id)); err != nil {
		t.Errorf("not in corrupt/: %v", err)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "users")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != content {
			t.Fatalf("ReadFile = %q, %v; want %q", b, err, content)
		}
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("perm %v, want 0640", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("dir holds %d entries, want 1 (no temp left)", len(ents))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), nil, 0o600); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

func BenchmarkCommit10KB(b *testing.B) {
	s, err := Open(b.TempDir(), 0)
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte("x"), 10<<10)
	b.SetBytes(int64(len(data)))
	b.SetParallelism(10) // 20 goroutines on 2 CPUs, like 20 SMTP sessions
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w, err := s.Create()
			if err != nil {
				b.Error(err)
				return
			}
			w.Write(data)
			if err := w.Commit(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
