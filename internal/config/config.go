// Package config is the one typed configuration of mailwall: the Config
// struct, its defaults, Load (YAML, strict: unknown keys are errors with
// file:line) and Validate. It is the only package that knows YAML; other
// packages receive plain values.
//
// Sections owned by an engine live in their own file (policy.go,
// antivirus.go, spam.go) with their own defaults and validation.
package config

import (
	"time"
)

// Config is the whole configuration. Every field has a default (Default).
type Config struct {
	// Hostname is the name used in the greeting, Received headers and DSNs.
	Hostname string `yaml:"hostname"`
	// DataDir holds the spool, the queue database and the quarantine.
	DataDir string `yaml:"data_dir"`
	// LocalDomains are the domains we accept mail for.
	LocalDomains []string `yaml:"local_domains"`
	// RelayDomains are domains we accept mail for and pass on (backup MX, gateway).
	RelayDomains []string `yaml:"relay_domains"`
	// TrustedNetworks may relay to any domain.
	TrustedNetworks []string `yaml:"trusted_networks"`
	// Store is the shared state store (Bayes tokens): "" = the embedded
	// bbolt file <data_dir>/state.db; "redis://host:port/db" shares it
	// between several nodes.
	Store string `yaml:"store"`

	SMTP      SMTP      `yaml:"smtp"`
	Routes    []Route   `yaml:"routes"`
	Queue     Queue     `yaml:"queue"`
	Delivery  Delivery  `yaml:"delivery"`
	Scan      ScanCfg   `yaml:"scan"`
	Web       Web       `yaml:"web"`
	Log       Log       `yaml:"log"`
	Milter    Milter    `yaml:"milter"`
	Policy    Policy    `yaml:"policy"`
	Antivirus Antivirus `yaml:"antivirus"`
	Spam      Spam      `yaml:"spam"`
	DNS       DNS       `yaml:"dns"`

	// Path is the file the config was loaded from ("" for the demo).
	Path string `yaml:"-"`
	// Demo is true when no config file was given.
	Demo bool `yaml:"-"`
}

// SMTP configures the inbound SMTP front end.
type SMTP struct {
	// Listen is the list of listeners for inbound mail (port 25 style).
	Listen []string `yaml:"listen"`
	// Submission listeners (port 587 style) require AUTH before MAIL.
	Submission []string `yaml:"submission"`
	// MaxMessageSize in bytes, announced in EHLO SIZE.
	MaxMessageSize int64 `yaml:"max_message_size"`
	// MaxRecipients per message.
	MaxRecipients int `yaml:"max_recipients"`
	// MaxConnections in total; past it new clients get 421.
	MaxConnections int `yaml:"max_connections"`
	// MaxConnectionsPerIP; past it the client gets 421.
	MaxConnectionsPerIP int `yaml:"max_connections_per_ip"`
	// CommandTimeout is how long to wait for a command line.
	CommandTimeout time.Duration `yaml:"command_timeout"`
	// DataTimeout is how long to wait for each read during DATA.
	DataTimeout time.Duration `yaml:"data_timeout"`
	// MaxErrors: a client making this many protocol errors is disconnected.
	MaxErrors int `yaml:"max_errors"`
	// BareLF: "reject" (default) refuses a bare CR or LF in DATA with 550;
	// "normalize" turns it into CRLF.
	BareLF string `yaml:"bare_lf"`
	// MaxReceived: more Received headers than this is a mail loop.
	MaxReceived int `yaml:"max_received"`
	// TLSCert and TLSKey enable STARTTLS; empty with the demo = self-signed.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// MinFreeBytes: below this free space on the data dir, the message is
	// refused with 452 4.3.1 instead of accepted.
	MinFreeBytes int64 `yaml:"min_free_bytes"`
	// GreetDelay: wait this long before the greeting and refuse clients
	// that talk first (early talkers, Postfix postscreen's pregreet test);
	// 0 turns the check off.
	GreetDelay time.Duration `yaml:"greet_delay"`
}

// Route says where mail for some domains goes.
type Route struct {
	// Domains this route applies to; "*" is the default route.
	Domains []string `yaml:"domains"`
	// NextHop: smtp://host:port, lmtp://host:port, lmtp:unix:/path,
	// maildir:///path, or "mx" for the recipient domain's MX.
	NextHop string `yaml:"next_hop"`
}

// Queue configures the durable queue.
type Queue struct {
	// Retry is the retry schedule; after its end the last interval repeats.
	Retry []time.Duration `yaml:"retry"`
	// GiveUp: after this long a message bounces with a DSN.
	GiveUp time.Duration `yaml:"give_up"`
}

// Delivery configures outbound delivery.
type Delivery struct {
	// Concurrency is the total number of deliveries at once.
	Concurrency int `yaml:"concurrency"`
	// PerDestination caps parallel deliveries to one next hop.
	PerDestination int `yaml:"per_destination"`
	// Timeout for one delivery attempt.
	Timeout time.Duration `yaml:"timeout"`
	// HeloName for outbound connections; default Hostname.
	HeloName string `yaml:"helo_name"`
}

// ScanCfg configures the content scanning stage.
type ScanCfg struct {
	// Timeout per scanner.
	Timeout time.Duration `yaml:"timeout"`
	// RefuseAmbiguousMIME refuses (554 5.6.0) messages whose MIME structure
	// can be read two ways (duplicate Content-Type or boundaries), so the
	// scanners and the mail client cannot see different messages.
	RefuseAmbiguousMIME bool `yaml:"refuse_ambiguous_mime"`
}

// Web configures the admin UI, health and metrics listener.
type Web struct {
	Listen string `yaml:"listen"`
}

// Log configures logging.
type Log struct {
	// Format: "text" or "json" for the structured log on stderr.
	Format string `yaml:"format"`
	// Level: debug, info, warn, error.
	Level string `yaml:"level"`
	// MailLog is the classic one-line-per-event mail log; "-" = stdout, "" = off.
	MailLog string `yaml:"mail_log"`
}

// Milter configures the milter front end (Postfix smtpd_milters,
// Sendmail INPUT_MAIL_FILTER): same pipeline, the MTA keeps the message.
type Milter struct {
	// Listen: "host:port" or "unix:/path"; empty = off.
	Listen []string `yaml:"listen"`
}

// DNS configures the resolver mailwall uses for MX, DNSBL and SPF look-ups.
type DNS struct {
	// Servers to query, host:port; empty = /etc/resolv.conf.
	Servers []string `yaml:"servers"`
	// Timeout per query.
	Timeout time.Duration `yaml:"timeout"`
}
