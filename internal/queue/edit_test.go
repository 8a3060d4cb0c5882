package queue

import (
	"context"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// rangeOf is the Range of the first s in body.
func rangeOf(t *testing.T, body, s string) Range {
	t.Helper()
	i := strings.Index(body, s)
	if i < 0 {
		t.Fatalf("%q not in %q", s, body)
	}
	return Range{Off: int64(i), Len: int64(len(s))}
}

var rcptB = []Recipient{{Addr: "b@example.test", NextHop: "smtp://127.0.0.1:2526"}}

// TestEditSkipDelivered: a record with skip ranges delivers prefix, the
// spool file without the ranges, suffix, and keeps its ranges through
// bbolt and a restart; List sizes what is delivered.
func TestEditSkipDelivered(t *testing.T) {
	const msg = "Subject: first\r\nFrom: a@example.org\r\nSUBJECT: two\r\n\tlines\r\n\r\nhello\r\n"
	test := func(name string, skip func(t *testing.T) []Range, want string) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			e := newEnv(t, dir, Config{}, newFake(nil), false)
			id := e.spoolMsg(msg)
			ed := Edit{Prefix: []byte("X-Test: 1\r\nSubject: new\r\n"), Suffix: []byte("TAIL\r\n"), Skip: skip(t)}
			if err := e.q.EnqueueEdited(context.Background(), id, ed, "a@example.org", rcptB); err != nil {
				t.Fatal(err)
			}
			if items, _ := e.q.List(); len(items) != 1 || items[0].Size != int64(len(want)) {
				t.Errorf("listed %+v, want size %d", items, len(want))
			}
			e.stop()
			if got := storedRecord(t, dir, id).Skip; len(got) != len(ed.Skip) {
				t.Errorf("stored skip %v, want %v", got, ed.Skip)
			}
			f := newFake(nil)
			e = newEnv(t, dir, Config{}, f, true)
			if c := waitCall(t, f); c.body != want {
				t.Errorf("delivered\n%q\nwant\n%q", c.body, want)
			}
			e.stop()
		})
	}
	test("one field", func(t *testing.T) []Range { return []Range{rangeOf(t, msg, "Subject: first\r\n")} },
		"X-Test: 1\r\nSubject: new\r\nFrom: a@example.org\r\nSUBJECT: two\r\n\tlines\r\n\r\nhello\r\nTAIL\r\n")
	test("two fields, folded", func(t *testing.T) []Range {
		return []Range{rangeOf(t, msg, "Subject: first\r\n"), rangeOf(t, msg, "SUBJECT: two\r\n\tlines\r\n")}
	}, "X-Test: 1\r\nSubject: new\r\nFrom: a@example.org\r\n\r\nhello\r\nTAIL\r\n")
	test("adjacent and up to the end", func(t *testing.T) []Range {
		return []Range{{Off: 0, Len: 5}, {Off: 5, Len: 3}, rangeOf(t, msg, "hello\r\n")}
	}, "X-Test: 1\r\nSubject: new\r\n first\r\nFrom: a@example.org\r\nSUBJECT: two\r\n\tlines\r\n\r\nTAIL\r\n")
	test("none", func(*testing.T) []Range { return nil }, "X-Test: 1\r\nSubject: new\r\n"+msg+"TAIL\r\n")
}

// storedRecord reads the record of id from the closed queue in dir.
func storedRecord(t *testing.T, dir, id string) *record {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "queue.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var r *record
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		r, err = decodeRecord([]byte(id), tx.Bucket(bucketMsgs).Get([]byte(id)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// putRaw stores v as the record of id in the closed queue in dir.
func putRaw(t *testing.T, dir, id string, v []byte) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "queue.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMsgs)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOldRecordDeliversWhole: a record written before skip ranges (and
// suffixes) existed delivers its prefix and the whole spool file.
func TestOldRecordDeliversWhole(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir, Config{}, newFake(nil), false)
	id := e.spoolMsg(body)
	e.stop()
	crc := crc32.Checksum([]byte(body), castagnoli)
	old := `{"v":1,"id":"` + id + `","from":"a@example.org","prefix":"WC1UZXN0OiAxDQo=","size":` +
		jsonInt(len(body)) + `,"crc32c":` + jsonInt(int(crc)) + `,"arrived":"2026-01-02T03:04:05Z",` +
		`"rcpts":[{"addr":"b@example.test","hop":"smtp://127.0.0.1:2526","state":"pending","next":"2026-01-02T03:04:05Z"}]}`
	putRaw(t, dir, id, []byte(old))
	f := newFake(nil)
	e = newEnv(t, dir, Config{}, f, true)
	if c := waitCall(t, f); c.body != "X-Test: 1\r\n"+body {
		t.Errorf("delivered %q", c.body)
	}
	if ev := e.waitEvent("delivered", "corrupt"); ev.Kind != "delivered" || ev.ID != id {
		t.Errorf("event %+v", ev)
	}
}

func jsonInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var badSkips = map[string][]Range{
	"past the end":  {{Off: 10, Len: int64(len(body))}},
	"overlapping":   {{Off: 0, Len: 10}, {Off: 5, Len: 3}},
	"unsorted":      {{Off: 20, Len: 2}, {Off: 0, Len: 2}},
	"negative":      {{Off: -1, Len: 2}},
	"empty":         {{Off: 3, Len: 0}},
	"huge length":   {{Off: 1, Len: 1<<63 - 1}},
	"negative size": {{Off: 2, Len: -1}},
}

// TestEnqueueRefusesBadSkip: skip ranges that do not fit the spooled
// message are refused and nothing is recorded.
func TestEnqueueRefusesBadSkip(t *testing.T) {
	e := newEnv(t, "", Config{}, newFake(nil), false)
	for name, skip := range badSkips {
		id := e.spoolMsg(body)
		if err := e.q.EnqueueEdited(context.Background(), id, Edit{Skip: skip}, "a@example.org", rcptB); err == nil {
			t.Errorf("%s: %v accepted", name, skip)
		}
	}
	if items, _ := e.q.List(); len(items) != 0 {
		t.Errorf("queued %d messages", len(items))
	}
}

// TestBadSkipRecordSetAside: a stored record whose skip ranges do not fit
// its spool file (damage, or a bug) is never delivered: the record goes
// to the corrupt bucket and the untouched spool file to corrupt/, as any
// damaged record; the other messages are delivered.
func TestBadSkipRecordSetAside(t *testing.T) {
	for name, skip := range badSkips {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			e := newEnv(t, dir, Config{}, newFake(nil), false)
			bad := e.send("a@example.org", body, "b@example.test")
			good := e.send("a@example.org", body, "b@example.test")
			e.stop()
			r := storedRecord(t, dir, bad)
			r.Skip = skip
			enc, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			putRaw(t, dir, bad, enc)
			f := newFake(nil)
			e = newEnv(t, dir, Config{}, f, true)
			seen := map[string]string{}
			for range 2 {
				ev := e.waitEvent("corrupt", "delivered")
				seen[ev.ID] = ev.Kind
			}
			e.stop()
			if seen[bad] != "corrupt" || seen[good] != "delivered" || len(f.calls) != 1 {
				t.Errorf("events %v, %d deliveries", seen, len(f.calls))
			}
			if b, err := os.ReadFile(filepath.Join(dir, "spool", "corrupt", bad)); err != nil || string(b) != body {
				t.Errorf("spool file not kept aside whole: %q %v", b, err)
			}
		})
	}
}

// TestDSNHeadersHonourSkip: a bounce quotes the header as it was sent:
// the new Subject from the prefix, not the skipped one.
func TestDSNHeadersHonourSkip(t *testing.T) {
	f := newFake(func(c call, n int) []Result {
		if c.from == "" {
			return okAll(c.rcpts)
		}
		return failAllCode(c.rcpts, 550, "5.1.1", true)
	})
	e := newEnv(t, "", Config{Retry: []time.Duration{time.Hour}}, f, true)
	id := e.spoolMsg(body)
	ed := Edit{Prefix: []byte("X-Test: 1\r\nSubject: [SPAM] test\r\n"), Skip: []Range{rangeOf(t, body, "Subject: test\r\n")}}
	if err := e.q.EnqueueEdited(context.Background(), id, ed, "a@example.org", rcptB); err != nil {
		t.Fatal(err)
	}
	var dsn call
	for dsn.from != "" || dsn.body == "" {
		dsn = waitCall(t, f)
	}
	_, quoted, ok := strings.Cut(dsn.body, "Content-Type: text/rfc822-headers\r\n\r\n")
	if !ok || !strings.HasPrefix(quoted, "X-Test: 1\r\nSubject: [SPAM] test\r\nFrom: a@example.org\r\n\r\n") ||
		strings.Contains(quoted, "Subject: test") {
		t.Errorf("quoted headers:\n%s", quoted)
	}
}
