package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mailwall/internal/clamav"
)

// scanFlags are the clamscan-like options of `mailwall scan`.
type scanFlags struct {
	recursive, infected, allMatch, stdout, noSummary bool
	database                                         string
}

func newScanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan PATH... (- for standard input)",
		Short: "scan files and directories for viruses, like clamscan",
		Long: `Scan files and directories with the ClamAV databases, printing
"path: OK", "path: NAME FOUND" or "path: Empty file" and clamscan's summary.
Exit status: 0 nothing found, 1 virus found, 2 error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := runScan(cmd, f, args)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.recursive, "recursive", "r", false, "scan subdirectories recursively")
	fl.StringVarP(&f.database, "database", "d", "", "database directory (default: antivirus.database_dir of the config)")
	fl.BoolVarP(&f.infected, "infected", "i", false, "only print infected files")
	fl.BoolVarP(&f.allMatch, "allmatch", "z", false, "report every matching signature, not just the first")
	fl.BoolVar(&f.stdout, "stdout", false, "write all messages, warnings included, to stdout")
	fl.BoolVar(&f.noSummary, "no-summary", false, "do not print the summary at the end")
	return cmd
}

// scanStats are the figures of clamscan's summary.
type scanStats struct {
	dirs, files, infected, errors int
	scanned, read                 int64
}

// scanRun is one `mailwall scan` invocation.
type scanRun struct {
	f        scanFlags
	eng      *clamav.Engine
	out, log io.Writer // results; warnings (stderr unless --stdout)
	in       io.Reader // scanned for the path "-"
	errw     io.Writer // system error messages, always stderr
	progress *progress
	st       scanStats
}

func runScan(cmd *cobra.Command, f scanFlags, args []string) (int, error) {
	start := time.Now()
	cfg, err := loadConfig(cmd)
	if err != nil {
		return 2, err
	}
	dir := f.database
	if dir == "" {
		dir = cfg.Antivirus.DatabaseDir
	}
	db, err := clamav.Load(dir)
	if err != nil {
		return 2, err
	}
	o := clamavOptions(cfg.Antivirus)
	o.AllMatch = f.allMatch
	r := &scanRun{f: f, eng: clamav.NewEngine(db, o), out: cmd.OutOrStdout(), log: cmd.ErrOrStderr(), errw: cmd.ErrOrStderr(), in: cmd.InOrStdin()}
	if f.stdout {
		r.log = r.out
	}
	var files []string
	for _, a := range args {
		files = append(files, r.collect(a, true)...)
	}
	r.progress = newProgress(cmd.ErrOrStderr(), len(files))
	r.scanAll(cmd.Context(), files)
	r.progress.done()
	if !f.noSummary {
		r.summary(db, start, time.Now())
	}
	switch {
	case r.st.infected > 0:
		return 1, nil
	case r.st.errors > 0:
		return 2, nil
	}
	return 0, nil
}

// collect returns the files to scan under path: path itself, or the
// regular files of a directory (of its subdirectories with -r), sorted.
// Symbolic links are followed only when named on the command line, as
// clamscan's defaults do.
func (r *scanRun) collect(path string, top bool) []string {
	if path == "-" && top {
		return []string{path}
	}
	stat := os.Lstat
	if top {
		stat = os.Stat
	}
	fi, err := stat(path)
	if err != nil {
		if top {
			fmt.Fprintf(r.errw, "%s: %s\n", path, strerrorOf(err))
			fmt.Fprintf(r.log, "WARNING: %s: Can't access file\n", path)
			r.st.errors++
		}
		return nil
	}
	switch {
	case fi.Mode().IsRegular():
		return []string{path}
	case !fi.IsDir() || (!top && !r.f.recursive):
		return nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		fmt.Fprintf(r.log, "WARNING: %s: Can't open directory\n", path)
		r.st.errors++
		return nil
	}
	r.st.dirs++
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	var out []string
	for _, e := range ents {
		p := filepath.Join(path, e.Name())
		if e.Type().IsRegular() || (e.IsDir() && r.f.recursive) {
			out = append(out, r.collect(p, false)...)
		}
	}
	return out
}

// strerrorOf words an error like C's strerror, as clamscan prints it:
// "No such file or directory" rather than "stat x: no such file or directory".
func strerrorOf(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fileResult is the outcome of one file, printed in file order.
type fileResult struct {
	size  int64
	res   *clamav.Result
	err   error
	ready chan struct{}
}

// scanAll scans files in parallel (one worker per CPU) and prints the
// results in order.
func (r *scanRun) scanAll(ctx context.Context, files []string) {
	if ctx == nil {
		ctx = context.Background()
	}
	results := make([]fileResult, len(files))
	for i := range results {
		results[i].ready = make(chan struct{})
	}
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range files {
			next <- i
		}
	}()
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for i := range next {
				fr := &results[i]
				if files[i] == "-" {
					fr.size, fr.res, fr.err = r.scanStdin(ctx)
				} else if fi, err := os.Stat(files[i]); err != nil {
					fr.err = err
				} else if fr.size = fi.Size(); fr.size > 0 {
					fr.res, fr.err = r.eng.ScanFile(ctx, files[i])
				}
				close(fr.ready)
			}
		}()
	}
	for i := range files {
		<-results[i].ready
		r.report(files[i], &results[i])
		r.progress.step()
	}
}

// scanStdin scans the standard input (the path "-"), reported as "stdin".
func (r *scanRun) scanStdin(ctx context.Context) (int64, *clamav.Result, error) {
	b, err := io.ReadAll(r.in)
	if err != nil || len(b) == 0 {
		return 0, nil, err
	}
	res, err := r.eng.ScanBytes(ctx, b, "stdin")
	return int64(len(b)), res, err
}

// report prints one file's result line(s) and counts it.
func (r *scanRun) report(path string, fr *fileResult) {
	r.progress.clear()
	if path == "-" {
		path = "stdin"
	}
	switch {
	case fr.err != nil:
		r.st.errors++
		fmt.Fprintf(r.out, "%s: %s ERROR\n", path, strerrorOf(fr.err))
		return
	case fr.size == 0:
		if !r.f.infected {
			fmt.Fprintf(r.out, "%s: Empty file\n", path)
		}
		return
	}
	r.st.files++
	r.st.read += fr.size
	r.st.scanned += max(fr.res.Scanned, fr.size)
	found := names(fr.res, r.f.allMatch)
	if len(found) == 0 {
		if !r.f.infected {
			fmt.Fprintf(r.out, "%s: OK\n", path)
		}
		return
	}
	r.st.infected++
	for _, n := range found {
		fmt.Fprintf(r.out, "%s: %s FOUND\n", path, n)
	}
}

// summary prints clamscan's summary block.
func (r *scanRun) summary(db *clamav.DB, start, end time.Time) {
	mb := func(n int64) float64 { return float64(n) / (1 << 20) }
	ratio := 0.0
	if r.st.read > 0 {
		ratio = float64(r.st.scanned) / float64(r.st.read)
	}
	el := end.Sub(start)
	secs := int(el.Seconds())
	const date = "2006:01:02 15:04:05"
	fmt.Fprintf(r.out, "\n----------- SCAN SUMMARY -----------\n"+
		"Known viruses: %d\nEngine version: mailwall %s\n"+
		"Scanned directories: %d\nScanned files: %d\nInfected files: %d\n",
		db.Signatures(), version, r.st.dirs, r.st.files, r.st.infected)
	if r.st.errors > 0 {
		fmt.Fprintf(r.out, "Total errors: %d\n", r.st.errors)
	}
	fmt.Fprintf(r.out, "Data scanned: %.2f MB\nData read: %.2f MB (ratio %.2f:1)\n"+
		"Time: %.3f sec (%d m %d s)\nStart Date: %s\nEnd Date:   %s\n",
		mb(r.st.scanned), mb(r.st.read), ratio,
		el.Seconds(), secs/60, secs%60, start.Format(date), end.Format(date))
}

// progress draws "Scanning n/total" on a terminal's stderr when many
// files are scanned; otherwise it does nothing.
type progress struct {
	w        io.Writer
	n, total int
	shown    bool
}

// progressMin is how many files make a scan long enough for a progress line.
const progressMin = 100

func newProgress(w io.Writer, total int) *progress {
	f, ok := w.(*os.File)
	if !ok || total < progressMin {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progress{w: w, total: total}
}

func (p *progress) step() {
	if p == nil {
		return
	}
	p.n++
	if p.n%10 == 0 || p.n == p.total {
		fmt.Fprintf(p.w, "\rScanning: %d/%d files (%d%%)", p.n, p.total, p.n*100/p.total)
		p.shown = true
	}
}

// clear erases the progress line before a result line is printed.
func (p *progress) clear() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func (p *progress) done() { p.clear() }
