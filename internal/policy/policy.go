// Package policy holds the pre-DATA rules of mailwall: relay control,
// the sendmail access map, block and allow lists, DNSBL at connect,
// connection rate and error counters, SMTP AUTH with throttling, and
// outbound rate limits.
//
// # The chain
//
// Each SMTP stage calls one Engine method; inside it the rules run in a
// fixed order and the first decisive answer wins (Continue means "no
// opinion, ask the next rule"):
//
//	Connect: trusted networks (OK) → allow list IP (OK) → access map
//	         Connect:/IP/host keys → block list IP → connection rate per IP
//	         → DNSBL zones (queried in parallel)
//	Mail:    sender syntax → allow list sender (OK) → access map From: keys
//	         → block lists (sender, domain, local part)
//	Rcpt:    recipient syntax and relay tricks → access map To: keys →
//	         relay control (local/relay domains, trusted, authenticated)
//	Data:    rate limits per authenticated user, envelope sender, client IP
//
// An allow list or an access-map OK bypasses the later block rules of its
// stage; it never permits relaying. Only trusted networks, an authenticated
// session, an access-map RELAY for the client, or an access-map To: RELAY
// for the recipient domain permit relaying.
//
// # Concurrency
//
// All Engine methods may be called concurrently from many sessions. The
// Engine owns its state (counters, buckets, the reloaded access map and
// users file); callers own the envelope.Conn they pass and must not mutate
// it during a call.
package policy

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"mailwall/internal/dnsbl"
	"mailwall/internal/envelope"
)

// Action is what a rule decided.
type Action int

// Actions, from "no opinion" to the decisive ones.
const (
	Continue Action = iota // no opinion; the caller proceeds normally
	OK                     // accept; skip the later block rules of this stage
	Relay                  // accept; the recipient may be relayed
	Reject                 // refuse permanently (Err holds the reply)
	TempFail               // refuse temporarily (Err holds the reply)
	Discard                // accept and silently drop the message
)

func (a Action) String() string {
	switch a {
	case Continue:
		return "continue"
	case OK:
		return "ok"
	case Relay:
		return "relay"
	case Reject:
		return "reject"
	case TempFail:
		return "tempfail"
	case Discard:
		return "discard"
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// DNSBL is the look-up the engine needs; *dnsbl.Resolver implements it.
// Lookup must be safe for concurrent use and honour ctx.
type DNSBL interface {
	Lookup(ctx context.Context, ip netip.Addr, zone string) (dnsbl.Result, error)
}

var _ DNSBL = (*dnsbl.Resolver)(nil)

// Engine runs the policy chain. Build it with New; call Close when done.
type Engine struct {
	cfg                        Config
	log                        *slog.Logger
	dns                        DNSBL
	local                      domainSet
	relay                      domainSet
	primary                    string // first local domain, for <postmaster>
	blockDomains, allowDomains domainSet
	access                     *accessFile // nil without an access map
	users                      *usersFile  // nil without a users file
	rates                      RateStore
	throttle                   *throttle
	conns                      *connState
	hashSlots                  chan struct{}
	now                        func() time.Time
}

// New checks cfg and builds an Engine. dns may be nil when no DNSBL zones
// are configured.
func New(cfg Config, log *slog.Logger, dns DNSBL) (*Engine, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.setDefaults()
	if len(cfg.DNSBL) > 0 && dns == nil {
		return nil, fmt.Errorf("policy: dnsbl zones configured but no resolver")
	}
	e := &Engine{
		cfg:          cfg,
		log:          log,
		dns:          dns,
		local:        newDomainSet(cfg.LocalDomains),
		relay:        newDomainSet(cfg.RelayDomains),
		blockDomains: newDomainSet(withSubdomains(cfg.Block.SenderDomains)),
		allowDomains: newDomainSet(withSubdomains(cfg.Allow.SenderDomains)),
		now:          time.Now,
	}
	if len(cfg.LocalDomains) > 0 {
		e.primary = strings.TrimPrefix(newDomainSet(cfg.LocalDomains[:1]).first(), ".")
	}
	st := cfg.State
	if st == nil {
		st = NewState(nil)
	}
	e.rates, e.throttle, e.conns, e.hashSlots = st.rates, st.throttle, st.conns, st.hashSlots
	if cfg.AccessMap != "" {
		a, err := openAccessFile(cfg.AccessMap, log)
		if err != nil {
			return nil, err
		}
		e.access = a
	}
	if cfg.Auth.UsersFile != "" {
		u, err := openUsersFile(cfg.Auth.UsersFile, log)
		if err != nil {
			return nil, err
		}
		e.users = u
	}
	return e, nil
}

// Close releases the engine. It holds no goroutines or open files between
// calls, and its State belongs to whoever made it, so there is nothing to
// release yet; callers still call it, so one can be added later.
func (e *Engine) Close() {}

// Reload re-reads the access map and users file now (SIGHUP); on error
// the loaded versions stay in use.
func (e *Engine) Reload() error {
	if e.access != nil {
		if err := e.access.reload(); err != nil {
			return err
		}
	}
	if e.users != nil {
		if err := e.users.reload(); err != nil {
			return err
		}
	}
	return nil
}

// trusted reports whether the client is in trusted_networks.
func (e *Engine) trusted(c *envelope.Conn) bool {
	ip := c.IP()
	for _, p := range e.cfg.TrustedNetworks {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// domainSet matches domains exactly, or as subdomains of ".parent" entries.
type domainSet map[string]bool

func newDomainSet(ds []string) domainSet {
	s := domainSet{}
	for _, d := range ds {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if n, err := envelope.NormalizeDomain(strings.TrimPrefix(d, ".")); err == nil {
			if strings.HasPrefix(d, ".") {
				n = "." + n
			}
			d = n
		}
		s[d] = true
	}
	return s
}

// withSubdomains adds ".d" for each d, so the set matches subdomains too.
func withSubdomains(ds []string) []string {
	out := make([]string, 0, 2*len(ds))
	for _, d := range ds {
		out = append(out, d, "."+strings.TrimPrefix(d, "."))
	}
	return out
}

func (s domainSet) has(d string) bool {
	if s[d] {
		return true
	}
	for i := 0; i < len(d); i++ {
		if d[i] == '.' && s[d[i:]] {
			return true
		}
	}
	return false
}
