// Command clamdbench is the harness of the clamd benchmark (see
// ../run.sh): it generates a signature database and a mail corpus and
// drives any clamd (ClamAV's or `mailwall serve`'s) with parallel INSTREAM
// clients. Its serve subcommand runs the clamd listener alone over the
// native engine, with an optional CPU profile, to find hot spots.
//
//	clamdbench gendb     -out DIR [-hdb 100000 -ndb 10000 -ldb 500 -seed 7]
//	clamdbench gencorpus -out DIR [-n 1000 -seed 42]   (writes DIR/list.txt)
//	clamdbench serve     -db DIR -sock PATH [-gogc 50 -cpuprofile FILE]
//	clamdbench load      -sock PATH -list FILE [-parallel 4 -passes 1]
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: clamdbench gendb|gencorpus|serve|load [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gendb":
		err = genDB(os.Args[2:])
	case "gencorpus":
		err = genCorpus(os.Args[2:])
	case "serve":
		err = serve(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "clamdbench:", err)
		os.Exit(1)
	}
}
