package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"mailwall/internal/clamav"
	"mailwall/internal/clamd"
)

// engine serves the native engine over the clamd protocol the way
// `mailwall serve` wires antivirus.clamd_listen.
type engine struct{ first, all *clamav.Engine }

func verdict(res *clamav.Result) []string {
	if n := res.Name(); n != "" {
		return []string{n}
	}
	return nil
}

func (e engine) ScanReader(ctx context.Context, r io.Reader) ([]string, error) {
	res, err := e.first.ScanReader(ctx, r, "stream")
	if err != nil {
		return nil, err
	}
	return verdict(res), nil
}

func (e engine) ScanFile(ctx context.Context, path string, all bool) ([]string, error) {
	x := e.first
	if all {
		x = e.all
	}
	res, err := x.ScanFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return verdict(res), nil
}

func (engine) Version() string { return clamd.FormatVersion("1.4.6", 0, time.Time{}) }
func (engine) Reload() error   { return nil }

// serve loads the database and answers on a unix socket until SIGTERM.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	db := fs.String("db", "", "database directory")
	sock := fs.String("sock", "", "unix socket path")
	conns := fs.Int("max-connections", 12, "connections served at once (clamd MaxThreads)")
	gogc := fs.Int("gogc", 0, "garbage collector target percent (as GOGC); 0 = runtime default")
	prof := fs.String("cpuprofile", "", "write a CPU profile here until exit")
	fs.Parse(args)
	if *prof != "" {
		pf, err := os.Create(*prof)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	if *gogc > 0 {
		debug.SetGCPercent(*gogc)
	}
	start := time.Now()
	d, err := clamav.Load(*db)
	if err != nil {
		return err
	}
	o := clamav.DefaultOptions()
	all := o
	all.AllMatch = true
	srv := clamd.NewServer(engine{clamav.NewEngine(d, o), clamav.NewEngine(d, all)},
		clamd.ServerOptions{MaxConnections: *conns})
	os.Remove(*sock)
	l, err := net.Listen("unix", *sock)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "mailwall clamd: %d signatures loaded in %.2fs\n", d.Signatures(), time.Since(start).Seconds())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err = srv.Serve(ctx, l)
	srv.Close()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
