package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleLoads(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "mailwall.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hostname != "mx.example.test" || c.SMTP.MaxMessageSize != 52428800 || c.Queue.GiveUp != 120*time.Hour {
		t.Errorf("example parsed as %+v", c)
	}
}

func TestDemo(t *testing.T) {
	c := Demo()
	if !c.Demo || c.SMTP.Listen[0] != "127.0.0.1:2525" || c.Web.Listen != "127.0.0.1:8025" ||
		!strings.HasPrefix(c.Routes[0].NextHop, "maildir://") {
		t.Errorf("demo config %+v", c)
	}
}

func TestDefaultsForEmptyFile(t *testing.T) {
	c, err := Parse("empty.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.MaxRecipients != 100 || len(c.Queue.Retry) != 7 {
		t.Errorf("defaults not applied: %+v", c.SMTP)
	}
}

func TestErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		yaml, want string
	}{
		{"hostname: x\nsmtp:\n  lissten: [\"a:1\"]\n", "bad.yaml:3: field lissten not found"},
		{"hostname: x\nsmtp:\n  bare_lf: sometimes\n", "bad.yaml:3: smtp.bare_lf: must be reject or normalize"},
		{"trusted_networks:\n  - 10.0.0.0/8\n  - not-a-net\n", "bad.yaml:3: trusted_networks.1:"},
		{"routes:\n  - domains: [\"*\"]\n    next_hop: \"ftp://x\"\n", "bad.yaml:3: routes.0.next_hop:"},
		{"queue:\n  retry: [1m, -5m]\n", "bad.yaml:2: queue.retry.1: must be positive"},
		{"hostname: [\n", "bad.yaml:"},
	}
	for _, tt := range tests {
		_, err := Parse("bad.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tt.yaml, err, tt.want)
		}
	}
}

func TestParseNextHop(t *testing.T) {
	tests := map[string]NextHop{
		"mx":                    {Scheme: "mx"},
		"smtp://127.0.0.1:2526": {Scheme: "smtp", Addr: "127.0.0.1:2526"},
		"smtp://relay.test":     {Scheme: "smtp", Addr: "relay.test:25"},
		"lmtp://[::1]:24":       {Scheme: "lmtp", Addr: "[::1]:24"},
		"lmtp:unix:/run/lmtp":   {Scheme: "lmtp", Addr: "unix:/run/lmtp"},
		"maildir:///var/mail/x": {Scheme: "maildir", Path: "/var/mail/x"},
	}
	for in, want := range tests {
		got, err := ParseNextHop(in)
		if err != nil || got != want {
			t.Errorf("ParseNextHop(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "smtp://", "maildir://", "http://x"} {
		if _, err := ParseNextHop(bad); err == nil {
			t.Errorf("ParseNextHop(%q) accepted", bad)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml")); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("err = %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
