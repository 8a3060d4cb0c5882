package quarantine

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"mailwall/internal/queue"
	"mailwall/internal/spool"
)

func newStore(t *testing.T) (*Store, *spool.Spool) {
	t.Helper()
	dir := t.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"), 1)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Open(filepath.Join(dir, "quarantine"), sp)
	if err != nil {
		t.Fatal(err)
	}
	return q, sp
}

func spoolMsg(t *testing.T, sp *spool.Spool, body string) string {
	t.Helper()
	w, err := sp.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(body))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return w.ID()
}

func TestPutListDelete(t *testing.T) {
	q, sp := newStore(t)
	now := time.Now()
	a := spoolMsg(t, sp, "Subject: a\r\n\r\na\r\n")
	b := spoolMsg(t, sp, "Subject: b\r\n\r\nb\r\n")
	for i, id := range []string{a, b} {
		if err := q.Put(Entry{ID: id, From: "x@y.test", Rcpts: []string{"u@example.test"}, Reason: "virus", Time: now.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := q.List()
	if err != nil || len(list) != 2 || list[0].ID != b {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := q.Delete(a); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Open(a); err == nil {
		t.Error("deleted message still in the spool")
	}
	if err := q.Delete(a); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := q.Forget(b); err != nil {
		t.Fatal(err)
	}
	if m, err := sp.Open(b); err != nil {
		t.Error("forgotten message must stay in the spool")
	} else {
		m.Close()
	}
}

func TestExpireAndBadIDs(t *testing.T) {
	q, sp := newStore(t)
	old := spoolMsg(t, sp, "x\r\n")
	q.Put(Entry{ID: old, Time: time.Now().Add(-48 * time.Hour)})
	fresh := spoolMsg(t, sp, "y\r\n")
	q.Put(Entry{ID: fresh, Time: time.Now()})
	n, err := q.Expire(24*time.Hour, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v", n, err)
	}
	if _, err := q.Get(fresh); err != nil {
		t.Error(err)
	}
	if err := q.Put(Entry{ID: "../../etc/passwd"}); err == nil {
		t.Error("path-like ID accepted")
	}
}

type fakeQueue struct {
	id, from string
	rcpts    []queue.Recipient
}

func (f *fakeQueue) Enqueue(_ context.Context, id string, _ []byte, from string, rcpts []queue.Recipient) error {
	f.id, f.from, f.rcpts = id, from, rcpts
	return nil
}

func TestRelease(t *testing.T) {
	q, sp := newStore(t)
	id := spoolMsg(t, sp, "x\r\n")
	q.Put(Entry{ID: id, From: "a@b.test", Rcpts: []string{"u@example.test", "v@other.test"}, Hops: []string{"smtp://127.0.0.1:1"}, Time: time.Now()})
	var fq fakeQueue
	if _, err := q.Release(context.Background(), id, &fq); err != nil {
		t.Fatal(err)
	}
	if fq.id != id || fq.from != "a@b.test" || len(fq.rcpts) != 2 || fq.rcpts[0].NextHop != "smtp://127.0.0.1:1" || fq.rcpts[1].NextHop != "mx" {
		t.Errorf("enqueued %+v", fq)
	}
	if _, err := q.Get(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("entry still there after release: %v", err)
	}
}
