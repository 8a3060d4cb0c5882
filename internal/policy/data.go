package policy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mailwall/internal/envelope"
	"mailwall/internal/smtp"
)

// # Rate limits
//
// At the end of DATA, before the 250, each message counts against up to
// three accounts: the authenticated user ("user:alice"), the envelope
// sender of outbound mail ("sender:alice@example.test"), and the client IP
// ("ip:192.0.2.1"). Each account has a token bucket (Messages per Window:
// a burst of Messages, then one every Window/Messages), a daily message
// cap, and a daily cap on distinct recipients. Days are UTC days. Over any
// limit the message gets 451 4.7.1 and the mail log a warning naming the
// account, which is what catches a compromised account sending a few
// messages a minute all day.

// Data applies the rate limits to one message.
func (e *Engine) Data(ctx context.Context, c *envelope.Conn, env *envelope.Envelope) Decision {
	rl := &e.cfg.RateLimits
	type account struct {
		key   string
		limit Limit
		name  string
	}
	var accts []account
	if c.AuthUser != "" && rl.PerUser.on() {
		accts = append(accts, account{"user:" + strings.ToLower(c.AuthUser), rl.PerUser, "per_user"})
	}
	if !env.From.IsNull() && rl.PerSender.on() {
		if ok, _ := e.mayRelay(c); ok {
			accts = append(accts, account{"sender:" + strings.ToLower(env.From.String()), rl.PerSender, "per_sender"})
		}
	}
	if rl.PerIP.on() {
		accts = append(accts, account{"ip:" + c.IP().String(), rl.PerIP, "per_ip"})
	}
	now := e.now()
	for _, a := range accts {
		over, err := e.overLimit(ctx, a.key, a.limit, env, now)
		if err != nil {
			e.log.Error("rate limit store failed, allowing", "account", a.key, "err", err)
			continue
		}
		if over != "" {
			e.log.Warn("rate limit exceeded", "account", a.key, "limit", a.name+"."+over,
				"conn", c.ID, "ip", c.IP(), "from", env.From.String(), "rcpts", len(env.Rcpts))
			d := Decision{Action: TempFail, Err: smtp.ErrRateLimit, Source: "rate_limits." + a.name + "." + over}
			return d
		}
	}
	return Decision{}
}

// overLimit charges one message to key and names the limit it breaks, or "".
func (e *Engine) overLimit(ctx context.Context, key string, l Limit, env *envelope.Envelope, now time.Time) (string, error) {
	if l.Messages > 0 && l.Window > 0 {
		ok, err := e.rates.Take(ctx, "bucket:"+key, Rate{N: l.Messages, Per: l.Window}, now)
		if err != nil {
			return "", fmt.Errorf("rate bucket %s: %w", key, err)
		}
		if !ok {
			return "messages", nil
		}
	}
	day := now.UTC().Format("20060102")
	// Keys carry the day; they may go once the day is over.
	ttl := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(now)
	if l.Daily > 0 {
		n, err := e.rates.Incr(ctx, "daily:"+day+":"+key, 1, ttl)
		if err != nil {
			return "", fmt.Errorf("daily count %s: %w", key, err)
		}
		if n > l.Daily {
			return "daily", nil
		}
	}
	if l.NewRcptsDaily > 0 && len(env.Rcpts) > 0 {
		rcpts := make([]string, len(env.Rcpts))
		for i, r := range env.Rcpts {
			rcpts[i] = strings.ToLower(r.String())
		}
		n, err := e.rates.AddMembers(ctx, "rcpts:"+day+":"+key, rcpts, l.NewRcptsDaily, ttl)
		if err != nil {
			return "", fmt.Errorf("recipient set %s: %w", key, err)
		}
		if n > l.NewRcptsDaily {
			return "new_recipients_daily", nil
		}
	}
	return "", nil
}
