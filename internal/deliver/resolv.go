package deliver

import (
	"net"
	"time"

	"github.com/miekg/dns"
)

// dnsTimeout bounds one DNS exchange.
const dnsTimeout = 10 * time.Second

// systemResolvers reads /etc/resolv.conf; without it, a local resolver on
// 127.0.0.1 is assumed (as the C library does).
func systemResolvers() []string {
	cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(cc.Servers) == 0 {
		return []string{"127.0.0.1:53"}
	}
	out := make([]string, len(cc.Servers))
	for i, s := range cc.Servers {
		out[i] = net.JoinHostPort(s, cc.Port)
	}
	return out
}
