package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"mailwall/internal/clamav"
	"mailwall/internal/clamd"
	"mailwall/internal/config"
	"mailwall/internal/scan"
	"mailwall/internal/scan/virus"
)

// clamavVersion is the engine version the clamd listener announces;
// clients parse "ClamAV <major>.<minor>.<patch>" to pick features, so it
// names the ClamAV release whose behaviour the engine follows.
const clamavVersion = "1.4.6"

// clamavOptions maps the antivirus section onto engine options.
func clamavOptions(av config.Antivirus) clamav.Options {
	o := clamav.DefaultOptions()
	o.MaxScanSize = av.MaxScanSize
	o.MaxFileSize = av.MaxFileSize
	o.MaxRecursion = av.MaxRecursion
	o.MaxFiles = av.MaxFiles
	o.MaxScanTime = av.MaxScanTime
	o.MaxRatio = av.MaxRatio
	o.DetectEncrypted = av.EncryptedAction != "accept"
	return o
}

// nativeSet is one loaded database with its engines; a reload builds a
// new set and swaps it in whole.
type nativeSet struct {
	db       *clamav.DB
	first    *clamav.Engine // stops at the first signature
	all      *clamav.Engine // AllMatch, for ALLMATCHSCAN
	version  string         // clamd VERSION reply
	loadedAt time.Time
}

func loadNative(dir string, o clamav.Options) (*nativeSet, error) {
	db, err := clamav.Load(dir)
	if err != nil {
		return nil, err
	}
	if db.Signatures() == 0 {
		return nil, fmt.Errorf("load %s: no signatures", dir)
	}
	all := o
	all.AllMatch = true
	set := &nativeSet{db: db, first: clamav.NewEngine(db, o), all: clamav.NewEngine(db, all), loadedAt: time.Now()}
	var ver uint
	fmt.Sscan(db.Version(), &ver)
	// QUIRK: the database build time is not exposed by the loader; the
	// load time stands in for it in the VERSION reply.
	set.version = clamd.FormatVersion(clamavVersion, ver, set.loadedAt)
	return set, nil
}

// nativeAV is the native engine with atomic reload, as a virus.Engine.
type nativeAV struct {
	cur *virus.Current[*nativeSet]
}

var _ virus.Engine = (*nativeAV)(nil)

func (n *nativeAV) ScanReader(ctx context.Context, r io.Reader, name string) (virus.Verdict, error) {
	res, err := n.cur.Get().first.ScanReader(ctx, r, name)
	if err != nil {
		return virus.Verdict{}, err
	}
	return virus.Verdict{Names: res.Names, Heuristic: res.Heuristic}, nil
}

// clamdFront serves the native engine over the clamd protocol. Limit and
// encryption heuristics are reported as FOUND names, never a silent OK.
type clamdFront struct{ n *nativeAV }

var _ clamd.Scanner = clamdFront{}

// names are the names to report for res: the first (signature, else the
// heuristic), or with all every signature and the heuristic.
func names(res *clamav.Result, all bool) []string {
	if !all {
		if n := res.Name(); n != "" {
			return []string{n}
		}
		return nil
	}
	out := res.Names
	if res.Heuristic != "" {
		out = append(out[:len(out):len(out)], res.Heuristic)
	}
	return out
}

func (f clamdFront) ScanReader(ctx context.Context, r io.Reader) ([]string, error) {
	res, err := f.n.cur.Get().first.ScanReader(ctx, r, "stream")
	if err != nil {
		return nil, err
	}
	return names(res, false), nil
}

func (f clamdFront) ScanFile(ctx context.Context, path string, all bool) ([]string, error) {
	set := f.n.cur.Get()
	e := set.first
	if all {
		e = set.all
	}
	res, err := e.ScanFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return names(res, all), nil
}

func (f clamdFront) Version() string { return f.n.cur.Get().version }
func (f clamdFront) Reload() error   { return f.n.cur.Reload() }

// avService is what serve runs for the antivirus section besides the
// scanners: reload on SIGHUP and the clamd protocol listeners.
type avService struct {
	native *nativeAV // nil without the native engine
	server *clamd.Server
	listen []string
	log    *slog.Logger
	// onShutdown runs after a clamd client's SHUTDOWN (when allowed).
	onShutdown func()
}

// SetShutdown sets what an allowed clamd SHUTDOWN does besides closing
// the listeners (serve: stop the process).
func (s *avService) SetShutdown(f func()) {
	if s != nil {
		s.onShutdown = f
	}
}

// Reload loads the databases again (SIGHUP); scans in flight finish on
// the old set.
func (s *avService) Reload() error {
	if s == nil || s.native == nil {
		return nil
	}
	return s.native.cur.Reload()
}

// Start opens every antivirus.clamd_listen address (an error here is a
// startup error) and answers the clamd protocol on them in the background
// until ctx is done or Close is called.
func (s *avService) Start(ctx context.Context) error {
	if s == nil || s.server == nil {
		return nil
	}
	var ls []net.Listener
	for _, a := range s.listen {
		l, err := listenClamd(a)
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return err
		}
		ls = append(ls, l)
	}
	for _, l := range ls {
		s.log.Info("clamd listener", "addr", l.Addr().String())
		go func() {
			err := s.server.Serve(ctx, l)
			if err != nil && !errors.Is(err, clamd.ErrServerClosed) && !errors.Is(err, context.Canceled) {
				s.log.Error("clamd listener stopped", "addr", l.Addr().String(), "err", err)
			}
		}()
	}
	return nil
}

// Close stops the clamd listeners and their connections.
func (s *avService) Close() error {
	if s == nil || s.server == nil {
		return nil
	}
	return s.server.Close()
}

// listenClamd listens on "unix:/path" (a stale socket file is replaced,
// like clamd's FixStaleSocket) or "host:port".
func listenClamd(addr string) (net.Listener, error) {
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if c, err := net.Dial("unix", p); err == nil {
				c.Close()
				return nil, fmt.Errorf("clamd listen %s: socket in use", addr)
			}
			os.Remove(p)
		}
		l, err := net.Listen("unix", p)
		if err != nil {
			return nil, fmt.Errorf("clamd listen: %w", err)
		}
		return l, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("clamd listen: %w", err)
	}
	return l, nil
}

// newVirusScanners builds the antivirus scanners of antivirus.engines (in
// that order) and the service for reloads and clamd_listen. With the
// section disabled it returns no scanners and a nil service.
func newVirusScanners(c *config.Config, log *slog.Logger) ([]scan.Scanner, *avService, error) {
	av := c.Antivirus
	if !av.Enabled {
		return nil, nil, nil
	}
	svc := &avService{listen: av.ClamdListen, log: log}
	header := "mailwall " + version
	var out []scan.Scanner
	for _, name := range av.Engines {
		switch name {
		case "native":
			o := clamavOptions(av)
			cur, err := virus.NewCurrent(func() (*nativeSet, error) { return loadNative(av.DatabaseDir, o) })
			if err != nil {
				return nil, nil, fmt.Errorf("antivirus: %w", err)
			}
			svc.native = &nativeAV{cur: cur}
			set := cur.Get()
			log.Info("antivirus databases loaded", "dir", av.DatabaseDir, "signatures", set.db.Signatures(), "version", set.db.Version())
			out = append(out, virus.New(svc.native, header))
		case "clamd":
			out = append(out, virus.New(&virus.Clamd{Client: clamd.NewClient(av.ClamdAddress)}, header))
		default:
			return nil, nil, fmt.Errorf("antivirus.engines: unknown engine %q", name)
		}
		header = "" // one X-Virus-Scanned per message
	}
	if len(av.ClamdListen) > 0 {
		if svc.native == nil {
			return nil, nil, errors.New("antivirus.clamd_listen needs the native engine in antivirus.engines")
		}
		svc.server = clamd.NewServer(clamdFront{n: svc.native}, clamd.ServerOptions{
			StreamMaxLength: av.MaxFileSize,
			AllowShutdown:   av.AllowShutdown,
			OnShutdown: func() {
				if svc.onShutdown != nil {
					svc.onShutdown()
				}
			},
			Log: log,
		})
	}
	return out, svc, nil
}
