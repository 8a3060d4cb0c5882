package store

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// conformance runs the behaviour every Store must share.
func conformance(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()

	t.Run("GetPut", func(t *testing.T) {
		if _, ok, err := s.Get(ctx, "t:absent"); ok || err != nil {
			t.Fatalf("Get absent = %v, %v; want false, nil", ok, err)
		}
		if err := s.Put(ctx, "t:k", []byte("v1"), 0); err != nil {
			t.Fatal(err)
		}
		v, ok, err := s.Get(ctx, "t:k")
		if !ok || err != nil || string(v) != "v1" {
			t.Fatalf("Get = %q, %v, %v; want v1", v, ok, err)
		}
		if err := s.Delete(ctx, "t:k", "t:never"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.Get(ctx, "t:k"); ok {
			t.Fatal("key still present after Delete")
		}
	})

	t.Run("Incr", func(t *testing.T) {
		tests := []struct {
			delta, want int64
		}{{1, 1}, {5, 6}, {-10, -4}}
		for _, tt := range tests {
			n, err := s.Incr(ctx, "t:ctr", tt.delta, 0)
			if err != nil || n != tt.want {
				t.Fatalf("Incr(%d) = %d, %v; want %d", tt.delta, n, err, tt.want)
			}
		}
		v, _, _ := s.Get(ctx, "t:ctr")
		if string(v) != "-4" {
			t.Fatalf("counter reads %q, want decimal -4", v)
		}
		if err := s.Put(ctx, "t:text", []byte("abc"), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Incr(ctx, "t:text", 1, 0); !errors.Is(err, ErrNotCounter) {
			t.Fatalf("Incr on text = %v, want ErrNotCounter", err)
		}
	})

	t.Run("Batch", func(t *testing.T) {
		if err := s.IncrBatch(ctx, map[string]int64{"t:a": 3, "t:b": 1, "t:c": 2}); err != nil {
			t.Fatal(err)
		}
		if err := s.IncrBatch(ctx, map[string]int64{"t:a": 1, "t:b": -1}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Counts(ctx, []string{"t:a", "t:b", "t:c", "t:none"})
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{4, 0, 2, 0}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("Counts = %v, want %v", got, want)
			}
		}
		if _, ok, _ := s.Get(ctx, "t:b"); ok {
			t.Fatal("counter at 0 was kept; IncrBatch must delete it")
		}
		if err := s.IncrBatch(ctx, nil); err != nil {
			t.Fatalf("empty batch: %v", err)
		}
	})

	t.Run("ManyKeys", func(t *testing.T) {
		batch := map[string]int64{}
		keys := make([]string, 0, 2000)
		for i := range 2000 {
			k := "t:m:" + strconv.Itoa(i)
			batch[k] = int64(i + 1)
			keys = append(keys, k)
		}
		if err := s.IncrBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		got, err := s.Counts(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range got {
			if n != int64(i+1) {
				t.Fatalf("Counts[%d] = %d, want %d", i, n, i+1)
			}
		}
	})

	t.Run("Canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := s.Get(cctx, "t:k"); err == nil {
			t.Fatal("Get with a canceled context succeeded")
		}
	})
}

func TestBolt(t *testing.T) {
	s, err := Open("bbolt://" + filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conformance(t, s)
}

func TestBoltTTL(t *testing.T) {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	now := time.Unix(1_700_000_000, 0)
	b.now = func() time.Time { return now }
	ctx := context.Background()

	if err := b.Put(ctx, "g:1", []byte("x"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Incr(ctx, "rl:1", 1, time.Minute); err != nil || n != 1 {
		t.Fatalf("Incr = %d, %v", n, err)
	}
	now = now.Add(30 * time.Second)
	// A later Incr keeps the first expiry (the window does not slide).
	if n, _ := b.Incr(ctx, "rl:1", 1, time.Hour); n != 2 {
		t.Fatalf("Incr = %d, want 2", n)
	}
	if _, ok, _ := b.Get(ctx, "g:1"); !ok {
		t.Fatal("key expired early")
	}
	now = now.Add(31 * time.Second)
	if _, ok, _ := b.Get(ctx, "g:1"); ok {
		t.Fatal("key did not expire")
	}
	if n, _ := b.Incr(ctx, "rl:1", 1, time.Minute); n != 1 {
		t.Fatalf("Incr after expiry = %d, want a fresh counter at 1", n)
	}
	if err := b.Put(ctx, "keep", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	n, err := b.Sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1 expired record removed", n, err)
	}
	if _, ok, _ := b.Get(ctx, "keep"); !ok {
		t.Fatal("Sweep removed a live key")
	}
}

func TestOpenURL(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		url     string
		wantErr bool
	}{
		{filepath.Join(dir, "plain.db"), false},
		{"bbolt://" + filepath.Join(dir, "url.db"), false},
		{"memcache://localhost", true},
		{"", true},
		{"redis://127.0.0.1:1/0", true}, // nothing listens on port 1
	}
	for _, tt := range tests {
		s, err := Open(tt.url)
		if (err != nil) != tt.wantErr {
			t.Errorf("Open(%q) error = %v, wantErr %v", tt.url, err, tt.wantErr)
		}
		if s != nil {
			s.Close()
		}
	}
}
