package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Default returns the configuration used when a key is absent. With no
// file at all, Demo returns these defaults adjusted for the local demo.
func Default() *Config {
	c := &Config{
		Hostname:        defaultHostname(),
		DataDir:         "/var/lib/mailwall",
		TrustedNetworks: []string{"127.0.0.0/8", "::1/128"},
		SMTP: SMTP{
			Listen:              []string{"127.0.0.1:2525"},
			MaxMessageSize:      50 << 20,
			MaxRecipients:       100,
			MaxConnections:      1000,
			MaxConnectionsPerIP: 50,
			CommandTimeout:      5 * time.Minute, // RFC 5321 4.5.3.2.7
			DataTimeout:         3 * time.Minute, // RFC 5321 4.5.3.2.6 (per read)
			MaxErrors:           10,
			BareLF:              "reject",
			MaxReceived:         50,        // Postfix hopcount_limit
			MinFreeBytes:        100 << 20, // room for a few max-size messages
		},
		Routes: []Route{{Domains: []string{"*"}, NextHop: "mx"}},
		Queue: Queue{
			Retry: []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute,
				30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour},
			GiveUp: 5 * 24 * time.Hour, // Postfix maximal_queue_lifetime
		},
		Delivery: Delivery{Concurrency: 100, PerDestination: 20, Timeout: 10 * time.Minute},
		Scan:     ScanCfg{Timeout: 2 * time.Minute, RefuseAmbiguousMIME: true},
		Web:      Web{Listen: "127.0.0.1:8025"},
		Log:      Log{Format: "text", Level: "info", MailLog: "-"},
		DNS:      DNS{Timeout: 5 * time.Second},
	}
	c.Policy.setDefaults()
	c.Antivirus.setDefaults()
	c.Spam.setDefaults()
	return c
}

// Demo is the safe local demo: SMTP on 127.0.0.1:2525, web on
// 127.0.0.1:8025, delivery into a Maildir under ./mailwall-data, relaying
// only for loopback.
func Demo() *Config {
	c := Default()
	c.Demo = true
	c.DataDir = "mailwall-data"
	c.LocalDomains = []string{"localhost", "example.test"}
	c.TrustedNetworks = []string{"127.0.0.0/8", "::1/128"}
	abs, err := filepath.Abs(filepath.Join(c.DataDir, "Maildir"))
	if err != nil {
		abs = filepath.Join(c.DataDir, "Maildir")
	}
	c.Routes = []Route{{Domains: []string{"*"}, NextHop: "maildir://" + abs}}
	c.Spam.DNSTests = false // the demo asks no outside DNS blocklist
	if err := c.Validate(); err != nil {
		panic("demo config invalid: " + err.Error()) // a bug, caught by tests
	}
	return c
}

func defaultHostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}

// Load reads path (strict YAML: unknown keys are errors), applies defaults
// for absent keys and validates. Errors name path:line.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load on bytes; name is used in error messages.
func Parse(name string, data []byte) (*Config, error) {
	c := Default()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, errEOF(err)) {
		return nil, yamlError(name, err)
	}
	c.Path = name
	v := &validator{name: name, root: &root}
	c.validate(v)
	return c, v.err()
}

// lineRe matches yaml.v3's "line N: " error prefix.
var lineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlError rewrites yaml.v3's errors as "file:line: message" lines.
func yamlError(name string, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for i, m := range msgs {
		if sub := lineRe.FindStringSubmatch(m); sub != nil {
			msgs[i] = fmt.Sprintf("%s:%s: %s", name, sub[1], m[len(sub[0]):])
		} else {
			msgs[i] = fmt.Sprintf("%s: %s", name, strings.TrimPrefix(m, "yaml: "))
		}
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// errEOF treats an empty document as "all defaults".
func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return nil
}

// Validate checks a Config built in code (no file positions known).
func (c *Config) Validate() error {
	v := &validator{name: c.Path}
	c.validate(v)
	return v.err()
}

// validator collects errors and finds the line of a key path in the file.
type validator struct {
	name string
	root *yaml.Node
	errs []string
}

// errorf records an error at the key path (e.g. "smtp.listen.1").
func (v *validator) errorf(path string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	pos := v.name
	if line := v.line(path); line > 0 {
		pos = fmt.Sprintf("%s:%d", v.name, line)
	}
	if pos == "" {
		pos = "config"
	}
	v.errs = append(v.errs, fmt.Sprintf("%s: %s: %s", pos, path, msg))
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(v.errs, "\n"))
}

// line returns the line of the deepest node found along path, 0 if none.
func (v *validator) line(path string) int {
	return v.lineOf(strings.Split(path, "."))
}

// lineOf is line for a path given as keys (which may hold dots).
func (v *validator) lineOf(keys []string) int {
	if v.root == nil || len(v.root.Content) == 0 {
		return 0
	}
	n, line := v.root.Content[0], 0
	for _, key := range keys {
		next := (*yaml.Node)(nil)
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					line, next = n.Content[i].Line, n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(key); err == nil && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// Marshal returns the effective configuration as YAML (defaults filled
// in), for `mailwall lint --print`.
func (c *Config) Marshal() ([]byte, error) { return yaml.Marshal(c) }
