package main

import (
	"fmt"
	"net/netip"

	"mailwall/internal/config"
	"mailwall/internal/policy"
)

// policyConfig maps the top-level domains and networks and the policy:
// section into policy.Config. The config was validated at load, so
// errors here mean a Config built in code skipped Validate.
func policyConfig(c *config.Config) (policy.Config, error) {
	p := &c.Policy
	out := policy.Config{
		Hostname:        c.Hostname,
		LocalDomains:    c.LocalDomains,
		RelayDomains:    c.RelayDomains,
		AccessMap:       p.AccessMap,
		MaxErrors:       c.SMTP.MaxErrors,
		MaxUnknownRcpts: p.MaxUnknownRecipients,
		ConnRate:        policy.Rate{N: p.ConnectionRate.Max, Per: p.ConnectionRate.Per},
		Auth: policy.AuthConfig{
			UsersFile:              p.Auth.UsersFile,
			AllowPlaintextLoopback: p.Auth.AllowPlaintextLoopback,
			Throttle: policy.Throttle{
				FreeFailures: p.Auth.Throttle.FreeFailures,
				BaseDelay:    p.Auth.Throttle.BaseDelay,
				MaxDelay:     p.Auth.Throttle.MaxDelay,
				LockoutAfter: p.Auth.Throttle.LockoutAfter,
				Lockout:      p.Auth.Throttle.Lockout,
			},
		},
		RateLimits: policy.RateLimits{
			PerUser:   policyLimit(p.RateLimits.PerUser),
			PerSender: policyLimit(p.RateLimits.PerSender),
			PerIP:     policyLimit(p.RateLimits.PerIP),
		},
	}
	var err error
	if out.TrustedNetworks, err = prefixes("trusted_networks", c.TrustedNetworks); err != nil {
		return out, err
	}
	b := &p.Block
	if out.Block.ClientIPs, err = prefixes("policy.block.client_ips", b.ClientIPs.Entries); err != nil {
		return out, err
	}
	out.Block.ClientIPReply = b.ClientIPs.Reply
	out.Block.Senders, out.Block.SenderReply = b.Senders.Entries, b.Senders.Reply
	out.Block.SenderDomains, out.Block.SenderDomainReply = b.SenderDomains.Entries, b.SenderDomains.Reply
	out.Block.SenderLocals, out.Block.SenderLocalReply = b.SenderLocals.Entries, b.SenderLocals.Reply
	if out.Allow.ClientIPs, err = prefixes("policy.allow.client_ips", p.Allow.ClientIPs); err != nil {
		return out, err
	}
	out.Allow.Senders, out.Allow.SenderDomains = p.Allow.Senders, p.Allow.SenderDomains
	for _, s := range p.LocalIPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return out, fmt.Errorf("policy.local_ips: %w", err)
		}
		out.LocalIPs = append(out.LocalIPs, a)
	}
	for _, z := range p.DNSBL {
		zone := policy.DNSBLZone{Zone: z.Zone, Reply: z.Reply}
		if len(z.Codes) > 0 {
			zone.Codes = map[netip.Addr]string{}
			for k, v := range z.Codes {
				a, err := netip.ParseAddr(k)
				if err != nil {
					return out, fmt.Errorf("policy.dnsbl %s codes: %w", z.Zone, err)
				}
				zone.Codes[a] = v
			}
		}
		out.DNSBL = append(out.DNSBL, zone)
	}
	return out, nil
}

func policyLimit(l config.PolicyLimit) policy.Limit {
	return policy.Limit{Messages: l.Messages, Window: l.Per, Daily: l.Daily, NewRcptsDaily: l.NewRecipientsDaily}
}

func prefixes(key string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := config.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, p)
	}
	return out, nil
}
