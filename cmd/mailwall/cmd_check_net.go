package main

import (
	"time"

	"github.com/spf13/cobra"

	"mailwall/internal/config"
	"mailwall/internal/dnsbl"
	"mailwall/internal/sarules"
)

// checkNetOptions are the CheckOptions of mailwall check: without -L the
// network rules ask --dns-server, else the dns.servers of --config, else
// the system resolver (/etc/resolv.conf), within spam.dns_timeout.
func checkNetOptions(cmd *cobra.Command, local bool, servers []string) (sarules.CheckOptions, error) {
	o := sarules.CheckOptions{Local: local}
	if local {
		return o, nil
	}
	var perQuery time.Duration
	if path, _ := cmd.Flags().GetString("config"); path != "" {
		cfg, err := config.Load(path)
		if err != nil {
			return o, err
		}
		if len(servers) == 0 {
			servers = cfg.DNS.Servers
		}
		perQuery, o.DNSTimeout = cfg.DNS.Timeout, cfg.Spam.DNSTimeout
	}
	o.DNS = dnsbl.New(servers, perQuery)
	return o, nil
}
