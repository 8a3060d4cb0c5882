package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"mailwall/internal/bayes"
	"mailwall/internal/config"
	"mailwall/internal/store"
)

// learnOpts are the flags of "mailwall learn", named as sa-learn's.
type learnOpts struct {
	spam, ham, forget, stats bool
	db                       string
}

func newLearnCmd() *cobra.Command {
	var o learnOpts
	cmd := &cobra.Command{
		Use:   "learn --spam|--ham|--forget [--db URL] PATH...",
		Short: "train the Bayes classifier from messages (like sa-learn)",
		Long: `Learn messages as spam or ham, or forget them, in the Bayes database.

PATH may be a message file, an mbox file, a Maildir or any directory of
message files (read recursively), or "-" for one message on stdin.
Re-learning a message already learned the same way changes nothing;
learning it the other way moves it. --db takes a store URL
(bbolt:///path/state.db, a plain path, or redis://host:port/db); the
default is state.db in the configured data directory.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLearn(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.spam, "spam", false, "learn the messages as spam")
	f.BoolVar(&o.ham, "ham", false, "learn the messages as ham (not spam)")
	f.BoolVar(&o.forget, "forget", false, "forget the messages")
	f.BoolVar(&o.stats, "stats", false, "print how many spam and ham messages are learned")
	f.StringVar(&o.db, "db", "", "state store URL (default: <data_dir>/state.db)")
	return cmd
}

// defaultStoreURL is the embedded state store of a configuration; serve
// opens the same file so that learn and the gateway share one database.
func defaultStoreURL(cfg *config.Config) string {
	if cfg.Store != "" {
		return cfg.Store
	}
	return "bbolt://" + filepath.Join(cfg.DataDir, "state.db")
}

// bayesOptions reads the tokenizer settings (bayes_ignore_header, stop
// words, ...) from the configured rule files, so learn tokenizes as the
// scanner does.
func bayesOptions(cfg *config.Config) (bayes.Options, error) {
	var o bayes.Options
	paths := []string{cfg.Spam.RulesDir, cfg.Spam.SiteRulesDir} // the site dir holds local.cf
	if cfg.Spam.LocalCF != "" {
		paths = append(paths, cfg.Spam.LocalCF)
	}
	err := bayes.LoadSettings(&o, paths...)
	return o, err
}

func runLearn(cmd *cobra.Command, o learnOpts, args []string) error {
	modes := 0
	for _, b := range []bool{o.spam, o.ham, o.forget} {
		if b {
			modes++
		}
	}
	if modes != 1 && !(modes == 0 && o.stats) {
		return &exitError{code: 2, err: errors.New("learn: give exactly one of --spam, --ham, --forget")}
	}
	if modes == 1 && len(args) == 0 {
		return &exitError{code: 2, err: errors.New("learn: no PATH given")}
	}
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	url := o.db
	if url == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return fmt.Errorf("learn: data dir: %w", err)
		}
		url = defaultStoreURL(cfg)
	}
	bo, err := bayesOptions(cfg)
	if err != nil {
		return fmt.Errorf("learn: %w", err)
	}
	st, err := store.Open(url)
	if err != nil {
		return fmt.Errorf("learn: %w", err)
	}
	defer st.Close()
	c := bayes.New(st, bo)
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	out := cmd.OutOrStdout()
	if modes == 1 {
		if err := learnPaths(ctx, cmd, c, o, args); err != nil {
			return err
		}
	}
	if o.stats {
		ns, nh, err := c.Counts(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "nspam %d\nnham %d\n", ns, nh)
	}
	return nil
}

// learnPaths learns every message under paths and prints sa-learn's
// summary line.
func learnPaths(ctx context.Context, cmd *cobra.Command, c *bayes.Classifier, o learnOpts, paths []string) error {
	var sources []string
	for _, p := range paths {
		files, err := messageFiles(p)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("learn: %w", err)}
		}
		sources = append(sources, files...)
	}
	prog := newLearnProgress(cmd.ErrOrStderr())
	examined, learned, failed := 0, 0, 0
	for _, src := range sources {
		msgs, err := readMessages(cmd.InOrStdin(), src)
		if err != nil {
			prog.clear()
			fmt.Fprintf(cmd.ErrOrStderr(), "learn: %v\n", err)
			failed++
			continue
		}
		for _, m := range msgs {
			if err := ctx.Err(); err != nil {
				return err
			}
			examined++
			in := bayes.InputFromRaw(m)
			if o.forget {
				err = c.Forget(ctx, in)
			} else {
				err = c.Learn(ctx, in, o.spam)
			}
			switch {
			case err == nil:
				learned++
			case errors.Is(err, bayes.ErrAlreadyLearned), errors.Is(err, bayes.ErrNotLearned):
			default:
				prog.clear()
				return fmt.Errorf("learn %s: %w", src, err)
			}
			prog.step(examined)
		}
	}
	prog.clear()
	verb := "Learned"
	if o.forget {
		verb = "Forgot"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s tokens from %d message(s) (%d message(s) examined)\n", verb, learned, examined)
	if failed > 0 {
		return &exitError{code: 2, err: fmt.Errorf("learn: %d path(s) could not be read", failed)}
	}
	return nil
}

// messageFiles expands a PATH: "-" and files stand for themselves;
// directories (Maildirs included) give their files, recursively, sorted,
// without hidden files and Maildir tmp/ folders.
func messageFiles(path string) ([]string, error) {
	if path == "-" {
		return []string{"-"}, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != path && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() && name == "tmp" && isMaildir(filepath.Dir(p)) {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// maxLearnMessage bounds one file read for learning.
const maxLearnMessage = 64 << 20

// readMessages returns the messages of one source: an mbox (first line
// "From ") is split into its messages, anything else is one message.
func readMessages(stdin io.Reader, src string) ([][]byte, error) {
	var r io.Reader = stdin
	if src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxLearnMessage))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	if !bytes.HasPrefix(data, []byte("From ")) {
		return [][]byte{data}, nil
	}
	return splitMbox(data), nil
}

// splitMbox splits an mbox at "From " lines that start a message (the
// first line, or one after an empty line), dropping the From_ line and
// unquoting ">From " lines (mboxrd).
func splitMbox(data []byte) [][]byte {
	var msgs [][]byte
	var cur bytes.Buffer
	prevBlank, started := true, false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxLearnMessage)
	flush := func() {
		if started {
			msgs = append(msgs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	for sc.Scan() {
		line := sc.Bytes()
		if prevBlank && bytes.HasPrefix(line, []byte("From ")) {
			flush()
			started, prevBlank = true, false
			continue
		}
		if q := bytes.TrimLeft(line, ">"); len(q) < len(line) && bytes.HasPrefix(q, []byte("From ")) {
			line = line[1:]
		}
		cur.Write(line)
		cur.WriteByte('\n')
		prevBlank = len(bytes.TrimRight(line, "\r")) == 0
	}
	flush()
	return msgs
}

// learnProgress shows "Learning: n message(s)" on a terminal's stderr.
type learnProgress struct {
	w     io.Writer
	shown bool
}

func newLearnProgress(w io.Writer) *learnProgress {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &learnProgress{w: w}
}

func (p *learnProgress) step(n int) {
	if p == nil || n%10 != 0 {
		return
	}
	fmt.Fprintf(p.w, "\rLearning: %d message(s)", n)
	p.shown = true
}

func (p *learnProgress) clear() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
