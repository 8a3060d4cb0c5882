package policy

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"

	"mailwall/internal/envelope"
	"mailwall/internal/smtp"
)

// # AUTH checking
//
// Authenticate checks a login from SASL PLAIN or LOGIN (the wire part is in
// smtpd). Unknown user and wrong password get the same 535 5.7.8 (RFC 4954
// 6) after the same work: an unknown user is checked against a dummy hash,
// so timing does not tell which accounts exist. Failures are counted per
// client IP (IPv6 per /64) and per user name: after FreeFailures each
// further failure doubles a delay (BaseDelay .. MaxDelay) during which AUTH
// gets 454 4.7.0 without checking; after LockoutAfter failures the key is
// locked for Lockout. Every failure and lockout is logged with user and IP.
// Without TLS, AUTH gets 538 5.7.11 (RFC 4954 4) unless the client is on
// loopback and AllowPlaintextLoopback is set.

// Replies of Authenticate.
var (
	ErrAuthInvalid   = smtp.New(535, smtp.EnhancedCode{5, 7, 8}, smtp.ReasonAuthFailed, "Authentication credentials invalid")
	ErrAuthThrottled = smtp.New(454, smtp.EnhancedCode{4, 7, 0}, smtp.ReasonAuthThrottled, "Temporary authentication failure, try again later")
	ErrAuthNeedsTLS  = smtp.New(538, smtp.EnhancedCode{5, 7, 11}, smtp.ReasonAuthFailed, "Encryption required for requested authentication mechanism")
	ErrAuthOff       = smtp.New(454, smtp.EnhancedCode{4, 7, 0}, smtp.ReasonAuthFailed, "Authentication not available")
)

// dummyHash is checked for unknown users so they cost the same as known ones.
var (
	dummyOnce sync.Once
	dummyHash string
)

// Authenticate checks user and pass; nil means success. The error is an
// *smtp.Error (see # AUTH checking).
func (e *Engine) Authenticate(ctx context.Context, c *envelope.Conn, user, pass string) error {
	ip := c.IP()
	if e.users == nil {
		return ErrAuthOff
	}
	if !c.TLS && !(e.cfg.Auth.AllowPlaintextLoopback && ip.IsLoopback()) {
		e.log.Warn("auth refused without TLS", "conn", c.ID, "ip", ip, "user", user)
		return ErrAuthNeedsTLS
	}
	name := strings.ToLower(user)
	now := e.now()
	ipKey, userKey := "ip:"+ipBlock(ip), "user:"+name
	if until := e.throttle.blockedUntil(e.cfg.Auth.Throttle, now, ipKey, userKey); !until.IsZero() {
		e.log.Warn("auth throttled", "conn", c.ID, "ip", ip, "user", user, "until", until.UTC().Format(time.RFC3339))
		return ErrAuthThrottled
	}
	u, known := e.users.get(now)[name]
	select { // bound memory: each argon2id check holds its m KiB
	case e.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return ErrAuthThrottled
	}
	ok := false
	if known && !u.Disabled() {
		ok = CheckPassword(u.Hash, pass)
	} else {
		dummyOnce.Do(func() { dummyHash, _ = HashPassword("mailwall-dummy-password") })
		CheckPassword(dummyHash, pass)
	}
	<-e.hashSlots
	if !ok {
		n := e.throttle.fail(e.cfg.Auth.Throttle, now, ipKey, userKey)
		e.log.Warn("auth failed", "conn", c.ID, "ip", ip, "user", user, "failures", n)
		return ErrAuthInvalid
	}
	e.throttle.reset(userKey) // not the IP: one good account must not reset guessing at others
	e.log.Info("auth ok", "conn", c.ID, "ip", ip, "user", name)
	return nil
}

// ipBlock is the throttling key of an address: IPv4 as is, IPv6 by /64
// (one host usually owns a whole /64).
func ipBlock(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// throttle counts failed logins per key. It outlives config reloads (see
// State), so each call gets the current settings.
type throttle struct {
	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n      int
	last   time.Time
	locked time.Time // locked until
}

// maxThrottleKeys bounds memory under a spray of logins from many IPs.
const maxThrottleKeys = 200_000

func newThrottle() *throttle { return &throttle{m: map[string]*failures{}} }

// delay is the wait after n failures.
func (t *throttle) delay(cfg Throttle, n int) time.Duration {
	extra := n - cfg.FreeFailures
	if extra <= 0 {
		return 0
	}
	d := cfg.BaseDelay
	for i := 1; i < extra && d < cfg.MaxDelay; i++ {
		d *= 2
	}
	return min(d, cfg.MaxDelay)
}

// blockedUntil returns when the first blocked key frees up, zero if none.
func (t *throttle) blockedUntil(cfg Throttle, now time.Time, keys ...string) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	var until time.Time
	for _, k := range keys {
		f := t.m[k]
		if f == nil {
			continue
		}
		u := f.last.Add(t.delay(cfg, f.n))
		if f.locked.After(u) {
			u = f.locked
		}
		if now.Before(u) && u.After(until) {
			until = u
		}
	}
	return until
}

// fail records a failure for each key and returns the highest count.
func (t *throttle) fail(cfg Throttle, now time.Time, keys ...string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxThrottleKeys {
		t.sweep(cfg, now)
	}
	top := 0
	for _, k := range keys {
		f := t.m[k]
		if f == nil {
			f = &failures{}
			t.m[k] = f
		}
		if now.Sub(f.last) > cfg.Lockout+cfg.MaxDelay { // long quiet: start over
			f.n = 0
		}
		f.n++
		f.last = now
		if f.n >= cfg.LockoutAfter {
			f.locked = now.Add(cfg.Lockout)
		}
		top = max(top, f.n)
	}
	return top
}

func (t *throttle) reset(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.m, k)
	}
}

func (t *throttle) sweep(cfg Throttle, now time.Time) {
	for k, f := range t.m {
		if now.Sub(f.last) > cfg.Lockout+cfg.MaxDelay {
			delete(t.m, k)
		}
	}
	if len(t.m) >= maxThrottleKeys {
		clear(t.m)
	}
}
