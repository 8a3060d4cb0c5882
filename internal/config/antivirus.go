package config

import (
	"fmt"
	"strings"
	"time"
)

// Antivirus configures the antivirus section: the native ClamAV-compatible
// engine, an external clamd, the clamd protocol listener and the limits a
// scan may use. The limit names follow ClamAV's (clamd.conf MaxScanSize,
// MaxFileSize, MaxRecursion, MaxFiles, MaxScanTime) and so do the defaults.
type Antivirus struct {
	// Enabled turns virus scanning on.
	Enabled bool `yaml:"enabled"`
	// DatabaseDir holds the ClamAV databases (.cvd/.cld and loose
	// .hdb .hsb .mdb .msb .ndb .ldb .fp .sfp .ign2 files).
	DatabaseDir string `yaml:"database_dir"`
	// Engines lists the engines that scan each message: "native" (the
	// built-in engine over DatabaseDir), "clamd" (an external clamd at
	// ClamdAddress), or both, in which case either finding counts.
	Engines []string `yaml:"engines"`
	// ClamdAddress is the external clamd: "host:port" or "unix:/path".
	ClamdAddress string `yaml:"clamd_address"`
	// ClamdListen are addresses where mailwall answers the clamd protocol
	// itself: "127.0.0.1:3310" or "unix:/run/mailwall/clamd.sock".
	ClamdListen []string `yaml:"clamd_listen"`
	// Action for a message with a virus: reject (554 5.7.1), discard,
	// quarantine or tag.
	Action string `yaml:"action"`
	// FailAction when the engine fails or times out: tempfail (451 4.7.1)
	// or accept (fail open; the message carries a not-scanned header).
	FailAction string `yaml:"fail_action"`
	// MaxScanSize is the most bytes scanned per message, all members
	// of all containers together.
	MaxScanSize int64 `yaml:"max_scan_size"`
	// MaxFileSize is the largest single file or member scanned.
	MaxFileSize int64 `yaml:"max_file_size"`
	// MaxRecursion is how deep containers are opened inside each other.
	MaxRecursion int `yaml:"max_recursion"`
	// MaxFiles is the most members scanned per message.
	MaxFiles int `yaml:"max_files"`
	// MaxScanTime bounds the time of one scan.
	MaxScanTime time.Duration `yaml:"max_scan_time"`
	// MaxRatio is the most bytes one container may expand to per byte
	// of its own size (a zip bomb guard); 0 disables it.
	MaxRatio int `yaml:"max_ratio"`
	// LimitsAction when a limit is reached (Heuristics.Limits.Exceeded.*):
	// reject, discard, quarantine, tag or accept.
	LimitsAction string `yaml:"limits_action"`
	// EncryptedAction for encrypted archives (Heuristics.Encrypted.*):
	// reject, discard, quarantine, tag or accept.
	EncryptedAction string `yaml:"encrypted_action"`
	// AllowShutdown lets clamd protocol clients stop mailwall with SHUTDOWN.
	AllowShutdown bool `yaml:"allow_shutdown"`
}

func (c *Antivirus) setDefaults() {
	c.Enabled = true
	c.DatabaseDir = "/var/lib/mailwall/clamav"
	c.Engines = []string{"native"}
	c.Action = "reject"
	c.FailAction = "tempfail"
	c.MaxScanSize = 400 << 20 // ClamAV MaxScanSize default
	c.MaxFileSize = 100 << 20 // ClamAV MaxFileSize default
	c.MaxRecursion = 17       // ClamAV MaxRecursion default
	c.MaxFiles = 10000        // ClamAV MaxFiles default
	c.MaxScanTime = 120 * time.Second
	c.MaxRatio = 250
	c.LimitsAction = "tag"
	c.EncryptedAction = "tag"
}

func (c *Antivirus) validate(v *validator) {
	if len(c.Engines) == 0 && c.Enabled {
		v.errorf("antivirus.engines", "at least one of native, clamd is needed")
	}
	clamd := false
	for i, e := range c.Engines {
		switch e {
		case "native":
		case "clamd":
			clamd = true
		default:
			v.errorf(fmt.Sprintf("antivirus.engines.%d", i), "must be native or clamd, not %q", e)
		}
	}
	if clamd && c.ClamdAddress == "" {
		v.errorf("antivirus.clamd_address", "needed when engines has clamd")
	}
	if c.ClamdAddress != "" {
		avCheckAddr(v, "antivirus.clamd_address", c.ClamdAddress)
	}
	for i, l := range c.ClamdListen {
		avCheckAddr(v, fmt.Sprintf("antivirus.clamd_listen.%d", i), l)
	}
	avOneOf(v, "antivirus.action", c.Action, "reject", "discard", "quarantine", "tag")
	avOneOf(v, "antivirus.fail_action", c.FailAction, "tempfail", "accept")
	avOneOf(v, "antivirus.limits_action", c.LimitsAction, "reject", "discard", "quarantine", "tag", "accept")
	avOneOf(v, "antivirus.encrypted_action", c.EncryptedAction, "reject", "discard", "quarantine", "tag", "accept")
	if c.Enabled && c.DatabaseDir == "" && avHasNative(c.Engines) {
		v.errorf("antivirus.database_dir", "must not be empty")
	}
	for _, p := range []struct {
		key string
		n   int64
	}{
		{"antivirus.max_scan_size", c.MaxScanSize},
		{"antivirus.max_file_size", c.MaxFileSize},
		{"antivirus.max_recursion", int64(c.MaxRecursion)},
		{"antivirus.max_files", int64(c.MaxFiles)},
		{"antivirus.max_scan_time", int64(c.MaxScanTime)},
	} {
		if p.n <= 0 {
			v.errorf(p.key, "must be positive")
		}
	}
	if c.MaxRatio < 0 {
		v.errorf("antivirus.max_ratio", "must not be negative")
	}
}

func avHasNative(engines []string) bool {
	for _, e := range engines {
		if e == "native" {
			return true
		}
	}
	return false
}

func avOneOf(v *validator, key, val string, allowed ...string) {
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.errorf(key, "must be one of %s, not %q", strings.Join(allowed, ", "), val)
}

// avCheckAddr accepts "host:port" and "unix:/absolute/path".
func avCheckAddr(v *validator, key, addr string) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if !strings.HasPrefix(path, "/") {
			v.errorf(key, "unix socket path must be absolute: %q", addr)
		}
		return
	}
	checkHostPort(v, key, addr)
}
