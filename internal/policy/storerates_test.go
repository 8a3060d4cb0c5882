package policy

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"mailwall/internal/envelope"
	"mailwall/internal/store"
)

// TestStoreRates runs the rate limits on the shared store (bbolt here; the
// store package checks Redis behaves the same), with two engines standing
// for two nodes.
func TestStoreRates(t *testing.T) {
	s, err := store.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rates := NewStoreRates(s)
	cfg := Config{RateLimits: RateLimits{PerUser: Limit{Messages: 4, Window: time.Hour, NewRcptsDaily: 2}}}
	node1, _, now1 := newEngine(t, Config{State: NewState(rates), RateLimits: cfg.RateLimits})
	node2, _, now2 := newEngine(t, Config{State: NewState(rates), RateLimits: cfg.RateLimits})
	// The fake clocks start at a window boundary; move both into one window.
	*now1 = now1.Add(time.Minute)
	*now2 = *now1
	c := tlsConn("198.51.100.7")
	c.AuthUser = "alice"
	msg := func(rcpt string) *envelope.Envelope {
		return &envelope.Envelope{Rcpts: []envelope.Address{{Local: rcpt, Domain: "other.test"}}}
	}
	ctx := context.Background()
	got := []Action{
		node1.Data(ctx, c, msg("a")).Action,
		node2.Data(ctx, c, msg("a")).Action,
		node1.Data(ctx, c, msg("b")).Action,
		node2.Data(ctx, c, msg("b")).Action,
		node1.Data(ctx, c, msg("a")).Action, // 5th message in the window
	}
	want := []Action{Continue, Continue, Continue, Continue, TempFail}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("two nodes, 4 per hour: %v, want %v", got, want)
	}
	// Distinct recipients, counted across nodes: d is bob's 3rd (cap 2).
	other := tlsConn("198.51.100.8")
	other.AuthUser = "bob"
	for i, r := range []string{"a", "b", "b", "d"} {
		node := []*Engine{node1, node2}[i%2]
		d := node.Data(ctx, other, msg(r))
		if i < 3 && d.Action != Continue || i == 3 && d.Source != "rate_limits.per_user.new_recipients_daily" {
			t.Errorf("bob rcpt %d (%s): %v %s", i, r, d.Action, d.Source)
		}
	}
}
