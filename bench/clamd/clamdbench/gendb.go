package main

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

var families = []string{"Trojan", "Win.Trojan", "Doc.Downloader", "Html.Phishing", "Email.Malware",
	"Js.Exploit", "Pdf.Dropper", "Xls.Macro", "Unix.Miner", "Win.Ransomware"}

// genDB writes bench.hdb, bench.ndb and bench.ldb: EICAR plus random
// signatures of 12-40 bytes that practically never match real data but
// load the matcher and hash tables the way a real database does.
func genDB(args []string) error {
	fs := flag.NewFlagSet("gendb", flag.ExitOnError)
	out := fs.String("out", "", "output directory")
	nHash := fs.Int("hdb", 100000, "MD5 signatures")
	nBody := fs.Int("ndb", 10000, "body signatures")
	nLogic := fs.Int("ldb", 500, "logical signatures")
	seed := fs.Uint64("seed", 7, "random seed")
	fs.Parse(args)
	if *out == "" {
		return fmt.Errorf("gendb: -out is required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*seed, *seed))
	hexs := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return hex.EncodeToString(b)
	}
	fam := func() string { return families[r.IntN(len(families))] }
	total := 0
	err := writeLines(filepath.Join(*out, "bench.hdb"), func(w *bufio.Writer) {
		sum := md5.Sum([]byte(eicar))
		fmt.Fprintf(w, "%x:%d:Bench.Eicar-Test-Signature-hdb\n", sum, len(eicar))
		for i := range *nHash {
			fmt.Fprintf(w, "%s:%d:Bench.%s.Hash-%d\n", hexs(16), 100+r.IntN(5_000_000), fam(), i)
		}
		total += *nHash + 1
	})
	if err != nil {
		return err
	}
	err = writeLines(filepath.Join(*out, "bench.ndb"), func(w *bufio.Writer) {
		fmt.Fprintf(w, "Bench.Eicar-Test-Signature:0:*:%s\n", hex.EncodeToString([]byte(eicar)))
		targets := []int{0, 0, 0, 0, 0, 0, 1, 1, 3, 4, 7}
		for i := range *nBody {
			sig := hexs(6 + r.IntN(11))
			if r.IntN(5) == 0 {
				for range 1 + r.IntN(2) {
					switch r.IntN(4) {
					case 0:
						sig += "??"
					case 1:
						sig += "*"
					case 2:
						sig += fmt.Sprintf("{%d-%d}", r.IntN(5), 5+r.IntN(16))
					case 3:
						sig += fmt.Sprintf("(%s|%s)", hexs(1), hexs(1))
					}
					sig += hexs(4 + r.IntN(9))
				}
			} else {
				sig += hexs(6 + r.IntN(19))
			}
			off := "*"
			if r.IntN(10) == 0 {
				off = "0"
			}
			fmt.Fprintf(w, "Bench.%s.Body-%d:%d:%s:%s\n", fam(), i, targets[r.IntN(len(targets))], off, sig)
		}
		total += *nBody + 1
	})
	if err != nil {
		return err
	}
	err = writeLines(filepath.Join(*out, "bench.ldb"), func(w *bufio.Writer) {
		for i := range *nLogic {
			k := 2 + r.IntN(2)
			op := "&"
			if r.IntN(10) >= 7 {
				op = "|"
			}
			expr, subs := "0", hexs(8+r.IntN(13))
			for j := 1; j < k; j++ {
				expr += fmt.Sprintf("%s%d", op, j)
				subs += ";" + hexs(8+r.IntN(13))
			}
			fmt.Fprintf(w, "Bench.%s.Logic-%d;Engine:51-255,Target:0;%s;%s\n", fam(), i, expr, subs)
		}
		total += *nLogic
	})
	if err != nil {
		return err
	}
	fmt.Printf("signatures=%d dir=%s\n", total, *out)
	return nil
}

func writeLines(path string, fn func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fn(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
