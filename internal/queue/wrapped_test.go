package queue

import (
	"context"
	"testing"
)

// TestEnqueueWrappedDelivered: a report_safe wrapping is delivered as
// prefix + unchanged spooled bytes + suffix, and survives a restart.
func TestEnqueueWrappedDelivered(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir, Config{}, newFake(nil), false)
	id := e.spoolMsg(body)
	rs := []Recipient{{Addr: "b@example.test", NextHop: "smtp://127.0.0.1:2526"}}
	if err := e.q.EnqueueWrapped(context.Background(), id, []byte("HEAD\r\n"), []byte("\r\nTAIL\r\n"), "a@example.org", rs); err != nil {
		t.Fatal(err)
	}
	if items, _ := e.q.List(); len(items) != 1 || items[0].Size != int64(len("HEAD\r\n")+len(body)+len("\r\nTAIL\r\n")) {
		t.Errorf("listed %+v", items)
	}
	e.stop()
	f := newFake(nil)
	e = newEnv(t, dir, Config{}, f, true)
	c := waitCall(t, f)
	if want := "HEAD\r\n" + body + "\r\nTAIL\r\n"; c.body != want {
		t.Errorf("delivered %q, want %q", c.body, want)
	}
	e.stop()
}
