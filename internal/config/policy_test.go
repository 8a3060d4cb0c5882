package config

import (
	"strings"
	"testing"
	"time"
)

func TestPolicySection(t *testing.T) {
	good := `
local_domains: [example.test]
policy:
  block:
    client_ips: {entries: [203.0.113.0/24, 198.51.100.7], reply: "Your network is blocked"}
    senders: {entries: [spam@hacker.com]}
    sender_domains: {entries: [spammail.com]}
    sender_locals: {entries: [promo], reply: "No promotions"}
  allow:
    sender_domains: [useful.org]
  dnsbl:
    - zone: zen.example.test
      codes: {"127.0.0.2": SBL, "127.0.0.4": XBL}
  connection_rate: {max: 60, per: 1m}
  auth:
    users_file: /nonexistent/users
    throttle: {lockout_after: 5}
  rate_limits:
    per_user: {messages: 20, per: 10m}
`
	c, err := Parse("mailwall.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policy
	if p.Block.ClientIPs.Reply != "Your network is blocked" || len(p.DNSBL) != 1 || p.DNSBL[0].Codes["127.0.0.4"] != "XBL" ||
		p.ConnectionRate.Per != time.Minute || p.Auth.Throttle.LockoutAfter != 5 || p.Auth.Throttle.FreeFailures != 3 ||
		p.RateLimits.PerUser.Messages != 20 || p.RateLimits.PerUser.Daily != 1000 || p.MaxUnknownRecipients != 20 {
		t.Errorf("parsed policy: %+v", p)
	}

	bad := []struct{ yaml, want string }{
		{"policy:\n  block:\n    client_ips: {entries: [300.1.1.1]}\n", "x.yaml:3: policy.block.client_ips.entries.0"},
		{"policy:\n  block:\n    senders: {entries: [nobody]}\n", "policy.block.senders.entries.0: want user@domain"},
		{"policy:\n  dnsbl:\n    - zone: zen.example.test\n      codes: {\"10.0.0.2\": X}\n", "x.yaml:4: policy.dnsbl.0.codes"},
		{"policy:\n  connection_rate: {max: 5}\n", "policy.connection_rate"},
		{"policy:\n  access_map: /nonexistent/access\n", "x.yaml:2: policy.access_map"},
		{"policy:\n  auth:\n    throttle: {base_delay: 10m, max_delay: 1m}\n", "policy.auth.throttle"},
		{"policy:\n  rate_limits:\n    per_ip: {daily: -1}\n", "policy.rate_limits.per_ip"},
		{"policy:\n  bogus: 1\n", "bogus"},
	}
	for _, tt := range bad {
		_, err := Parse("x.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
