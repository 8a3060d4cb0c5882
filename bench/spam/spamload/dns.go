package main

import (
	"flag"
	"fmt"
	"net"

	"github.com/miekg/dns"
)

// serveDNS answers every query on UDP and TCP -listen with SERVFAIL at
// once: "no DNS" for engines that resolve anyway (rspamd looks up the
// PTR of the first untrusted Received IP even with its DNS modules off),
// without a query timeout per message the way a silent port would cost.
// It serves until killed.
func serveDNS(args []string) error {
	fs := flag.NewFlagSet("dns", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address for UDP and TCP")
	fs.Parse(args)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(q, dns.RcodeServerFailure)
		w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", *listen)
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	errc := make(chan error, 2)
	go func() { errc <- (&dns.Server{PacketConn: pc, Handler: h}).ActivateAndServe() }()
	go func() { errc <- (&dns.Server{Listener: ln, Handler: h}).ActivateAndServe() }()
	return fmt.Errorf("dns: %w", <-errc)
}
