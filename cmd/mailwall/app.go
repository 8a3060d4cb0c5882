package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mailwall/internal/bayes"
	"mailwall/internal/config"
	"mailwall/internal/deliver"
	"mailwall/internal/gateway"
	"mailwall/internal/maillog"
	"mailwall/internal/milter"
	"mailwall/internal/policy"
	"mailwall/internal/quarantine"
	"mailwall/internal/queue"
	"mailwall/internal/scan"
	"mailwall/internal/scan/spam"
	"mailwall/internal/smtpd"
	"mailwall/internal/spamd"
	"mailwall/internal/spool"
	"mailwall/internal/store"
	"mailwall/internal/web"
)

// app is the running gateway: what serve wires together by hand.
type app struct {
	cfg   *config.Config
	log   *slog.Logger
	mlog  *maillog.Log
	mlogW io.Closer
	spool *spool.Spool
	queue *queue.Queue
	quar  *quarantine.Store
	// policyState: rate-limit and throttling counters, kept across reloads.
	policyState *policy.State
	// bayes and its state store, when spam.use_bayes is on.
	bayes *bayes.Classifier
	state store.Store
	// spam is the spam engine in use, for the spamd listener.
	spam      atomic.Pointer[spam.Engine]
	deliverer *deliver.Deliverer
	virus     []scan.Scanner // antivirus scanners, built once
	av        *avService     // database reloads and the clamd listeners
	stats     *gateway.Stats
	smtp      *smtpd.Server
	milter    *milter.Server
	web       *http.Server
	addrs     []string
	webAddr   string
	closers   []func()

	qctx    context.Context
	qcancel context.CancelFunc
	qdone   chan struct{}
	mu      sync.Mutex
}

func newApp(cfg *config.Config, logger *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: logger, stats: &gateway.Stats{}, policyState: policy.NewState(nil)}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	var mw io.Writer
	switch cfg.Log.MailLog {
	case "":
	case "-":
		mw = os.Stdout
	default:
		f, err := os.OpenFile(cfg.Log.MailLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
		if err != nil {
			return nil, fmt.Errorf("mail log: %w", err)
		}
		mw, a.mlogW = f, f
	}
	a.mlog = maillog.New(mw, cfg.Hostname, nil)
	sp, err := spool.Open(filepath.Join(cfg.DataDir, "spool"), cfg.SMTP.MinFreeBytes)
	if err != nil {
		return nil, err
	}
	a.spool = sp
	router := routerFor(cfg)
	d := deliver.New(deliver.Options{
		HeloName:   firstNonEmpty(cfg.Delivery.HeloName, cfg.Hostname),
		Timeout:    cfg.Delivery.Timeout,
		DNSServers: cfg.DNS.Servers,
		Log:        logger,
	})
	a.deliverer = d
	q, err := queue.Open(filepath.Join(cfg.DataDir, "queue.db"), sp, d, queue.Config{
		Retry: cfg.Queue.Retry, GiveUp: cfg.Queue.GiveUp, Hostname: cfg.Hostname,
		Concurrency: cfg.Delivery.Concurrency, PerDestination: cfg.Delivery.PerDestination,
		Route: func(addr string) string { return router.NextHop(domainOf(addr)) },
	}, logger, a.queueEvent)
	if err != nil {
		return nil, err
	}
	a.queue = q
	if a.quar, err = quarantine.Open(filepath.Join(cfg.DataDir, "quarantine"), sp); err != nil {
		q.Close()
		return nil, err
	}
	if cfg.Demo {
		demoAntivirus(cfg, logger)
	}
	if a.virus, a.av, err = newVirusScanners(cfg, logger); err != nil {
		q.Close()
		return nil, err
	}
	if a.bayes, a.state, err = openBayes(cfg, logger); err != nil {
		q.Close()
		a.av.Close()
		return nil, err
	}
	gw, err := a.buildGateway(cfg)
	if err != nil {
		q.Close()
		a.av.Close()
		return nil, err
	}
	tlsCfg, err := smtpd.TLSConfig(cfg.SMTP.TLSCert, cfg.SMTP.TLSKey, cfg.Hostname)
	if err != nil {
		q.Close()
		return nil, err
	}
	a.smtp = smtpd.New(smtpd.Options{
		Hostname: cfg.Hostname, MaxMessageSize: cfg.SMTP.MaxMessageSize, MaxRecipients: cfg.SMTP.MaxRecipients,
		MaxConnections: cfg.SMTP.MaxConnections, MaxConnectionsPerIP: cfg.SMTP.MaxConnectionsPerIP,
		CommandTimeout: cfg.SMTP.CommandTimeout, DataTimeout: cfg.SMTP.DataTimeout,
		GreetDelay: cfg.SMTP.GreetDelay, NormalizeBareLF: cfg.SMTP.BareLF == "normalize",
		TLS: tlsCfg, AuthWithoutTLS: cfg.Policy.Auth.AllowPlaintextLoopback, Log: logger,
		Resolver: smtpd.NewResolver(cfg.DNS.Servers), DNSTimeout: cfg.DNS.Timeout,
	}, gw)
	a.milter = milter.New(milter.Options{Hostname: cfg.Hostname, Log: logger}, gw)
	return a, nil
}

// buildGateway builds the pipeline for cfg (at start and on reload).
func (a *app) buildGateway(cfg *config.Config) (*gateway.Gateway, error) {
	pol, closePol, err := buildPolicy(cfg, a.log, a.policyState)
	if err != nil {
		return nil, err
	}
	scanners, err := a.buildScanners(cfg)
	if err != nil {
		closePol()
		return nil, err
	}
	vc, err := verdictConfig(cfg)
	if err != nil {
		closePol()
		return nil, err
	}
	a.mu.Lock()
	a.closers = append(a.closers, closePol)
	a.mu.Unlock()
	return gateway.New(gateway.Options{
		Hostname: cfg.Hostname, MaxMessageSize: cfg.SMTP.MaxMessageSize, MaxRecipients: cfg.SMTP.MaxRecipients,
		MaxReceived: cfg.SMTP.MaxReceived, ScanTimeout: cfg.Scan.Timeout,
		RefuseAmbiguousMIME: cfg.Scan.RefuseAmbiguousMIME, Routes: routerFor(cfg),
	}, gateway.Deps{Policy: pol, Spool: a.spool, Queue: a.queue, Quarantine: a.quar, Scanners: scanners,
		Verdict: vc, Log: a.log, MailLog: a.mlog, Stats: a.stats}), nil
}

func (a *app) start(ctx context.Context, errc chan<- error) error {
	a.qctx, a.qcancel = context.WithCancel(context.Background())
	a.qdone = make(chan struct{})
	go func() {
		defer close(a.qdone)
		if err := a.queue.Run(a.qctx); err != nil && !errors.Is(err, context.Canceled) {
			errc <- fmt.Errorf("queue: %w", err)
		}
	}()
	serveOn := func(addrs []string, name string) error {
		for _, addr := range addrs {
			l, err := listen(addr)
			if err != nil {
				return err
			}
			a.addrs = append(a.addrs, l.Addr().String())
			go func() {
				if err := a.smtp.Serve(l, name); err != nil {
					errc <- fmt.Errorf("smtp %s: %w", addr, err)
				}
			}()
		}
		return nil
	}
	if err := serveOn(a.cfg.SMTP.Listen, "smtp"); err != nil {
		return err
	}
	if err := serveOn(a.cfg.SMTP.Submission, "submission"); err != nil {
		return err
	}
	for _, addr := range a.cfg.Milter.Listen {
		l, err := listen(addr)
		if err != nil {
			return err
		}
		a.addrs = append(a.addrs, "milter:"+l.Addr().String())
		go func() {
			if err := a.milter.Serve(l); err != nil {
				errc <- fmt.Errorf("milter %s: %w", addr, err)
			}
		}()
	}
	var learner spamd.Learner
	if a.bayes != nil && a.cfg.Spam.SpamdAllowTell {
		learner = bayesLearner{a.bayes}
	}
	if err := startSpamd(a.qctx, a.cfg.Spam.SpamdListen, &a.spam, learner, a.log); err != nil {
		return err
	}
	a.av.SetShutdown(func() { syscall.Kill(os.Getpid(), syscall.SIGTERM) }) // clamd SHUTDOWN drains like SIGTERM
	if err := a.av.Start(a.qctx); err != nil {
		return err
	}
	if a.cfg.Web.Listen != "" {
		l, err := net.Listen("tcp", a.cfg.Web.Listen)
		if err != nil {
			return fmt.Errorf("web listen %s: %w", a.cfg.Web.Listen, err)
		}
		a.webAddr = l.Addr().String()
		a.web = &http.Server{Handler: web.New(web.Deps{Queue: a.queue, Quarantine: a.quar, Stats: a.stats, Config: a.cfg}),
			ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := a.web.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("web: %w", err)
			}
		}()
	}
	return nil
}

// reload re-reads the config file and swaps in a new pipeline; sessions in
// flight finish on the old one. Listeners and the queue stay.
func (a *app) reload() error {
	if a.cfg.Path == "" {
		return errors.New("no config file to reload (demo)")
	}
	cfg, err := config.Load(a.cfg.Path)
	if err != nil {
		return err
	}
	if err := a.av.Reload(); err != nil {
		return fmt.Errorf("antivirus databases: %w", err)
	}
	gw, err := a.buildGateway(cfg)
	if err != nil {
		return err
	}
	a.smtp.SetGateway(gw)
	a.milter.SetGateway(gw)
	a.log.Info("configuration reloaded", "file", a.cfg.Path)
	return nil
}

// shutdown drains: stop accepting, let sessions finish up to drain, then
// stop delivery. Accepted mail is on disk; nothing is lost.
func (a *app) shutdown(drain time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := a.smtp.Shutdown(ctx); err != nil {
		a.log.Warn("sessions cut at drain timeout", "err", err)
	}
	if err := a.milter.Shutdown(ctx); err != nil {
		a.log.Warn("milter sessions cut at drain timeout", "err", err)
	}
	if a.web != nil {
		a.web.Shutdown(ctx)
	}
	a.av.Close()
	if a.qcancel != nil {
		a.qcancel()
		<-a.qdone
	}
}

func (a *app) close() {
	if a.queue != nil {
		a.queue.Close()
	}
	if a.deliverer != nil {
		a.deliverer.Close() // idle cached connections to next hops
	}
	if a.state != nil {
		a.state.Close()
	}
	a.mu.Lock()
	for _, c := range a.closers {
		c()
	}
	a.mu.Unlock()
	if a.mlogW != nil {
		a.mlogW.Close()
	}
}

func (a *app) queueEvent(e queue.Event) {
	switch e.Kind {
	case "delivered":
		a.mlog.Write(maillog.Delivered{ID: e.ID, Rcpt: e.Rcpt, Relay: e.Relay, Reply: e.Reply, Delay: e.Delay})
	case "deferred":
		a.mlog.Write(maillog.Deferred{ID: e.ID, Rcpt: e.Rcpt, Relay: e.Relay, Reason: e.Reply, Delay: e.Delay})
	case "bounced", "expired":
		a.mlog.Write(maillog.Bounced{ID: e.ID, Rcpt: e.Rcpt, Relay: e.Relay, Reason: e.Reply})
	default:
		a.mlog.Write(maillog.Warning{ID: e.ID, Text: e.Kind + ": " + e.Reply})
	}
}
