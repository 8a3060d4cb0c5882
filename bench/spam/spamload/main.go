// Command spamload prepares the spam benchmark corpus and drives a spam
// engine with parallel clients, for bench/spam/run.sh.
//
//	spamload corpus -src DIR -out DIR -n 1000 -max 512000
//	spamload load -proto spamd|rspamd -addr 127.0.0.1:PORT -list FILE -c 4 -warm 20 -passes 1
//	spamload dns -listen 127.0.0.1:PORT      (answers every query SERVFAIL)
//
// # Output of load
//
// One line of key=value fields on stdout:
//
//	msgs=1000 ok=1000 errors=0 secs=12.345 rate=81.0 p50_ms=45.1 p95_ms=120.3 spam=480/500 ham=3/500
//
// rate counts answered messages over the wall time of the timed pass;
// p50/p95 are per-request latencies seen by the client (connect to last
// reply byte, so they include queueing inside the server); spam=A/B is how
// many of the B messages from the corpus' spam folders were flagged, ham=C/D
// how many of the D ham messages were (false positives), counted on the
// first pass over the list.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: spamload corpus|load|dns [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "corpus":
		err = makeCorpus(os.Args[2:])
	case "load":
		err = runLoad(os.Args[2:])
	case "dns":
		err = serveDNS(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "spamload:", err)
		os.Exit(1)
	}
}
