package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailwall/internal/clamd"
	"mailwall/internal/config"
	"mailwall/internal/scan"
)

// avConfig is a config with the native engine over a fresh EICAR database
// and a clamd listener on a unix socket.
func avConfig(t *testing.T) (*config.Config, string) {
	t.Helper()
	db := scanDB(t, true)
	c := config.Demo()
	c.Antivirus.Enabled = true
	c.Antivirus.DatabaseDir = db
	c.Antivirus.Engines = []string{"native"}
	c.Antivirus.ClamdListen = []string{"unix:" + filepath.Join(t.TempDir(), "clamd.sock")}
	return c, db
}

func mailTask(body string) *scan.Task {
	msg := "From: a@example.org\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(body)) + "\r\n--b--\r\n"
	return &scan.Task{ID: "Q1", Raw: strings.NewReader(msg), Size: int64(len(msg))}
}

func TestVirusScannersNative(t *testing.T) {
	c, _ := avConfig(t)
	scanners, svc, err := newVirusScanners(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(scanners) != 1 || svc == nil {
		t.Fatalf("got %d scanners, service %v", len(scanners), svc)
	}
	for _, tt := range []struct{ body, symbol, detail string }{
		{scanEicar, "CLAM_VIRUS", "Eicar-Test-Signature.UNOFFICIAL"},
		{"clean attachment", "", ""},
	} {
		rep := scan.Run(context.Background(), mailTask(tt.body), scanners, 30*time.Second)
		f := rep.Findings()
		switch {
		case tt.symbol == "" && len(f) != 0:
			t.Errorf("clean mail: findings %v", f)
		case tt.symbol != "" && (len(f) != 1 || f[0].Symbol != tt.symbol || f[0].Detail != tt.detail):
			t.Errorf("findings %v, want %s=%s", f, tt.symbol, tt.detail)
		}
		if h := rep.Results[0].Headers; len(h) != 1 || h[0].Name != "X-Virus-Scanned" || h[0].Value != "mailwall "+version {
			t.Errorf("headers %v", h)
		}
	}
}

// TestClamdListenReload serves antivirus.clamd_listen, scans over it, then
// adds a signature and reloads with the clamd RELOAD command.
func TestClamdListenReload(t *testing.T) {
	c, db := avConfig(t)
	_, svc, err := newVirusScanners(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	cl := clamd.NewClient(c.Antivirus.ClamdListen[0])
	cl.Timeout = 10 * time.Second
	if err := cl.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	scanStr := func(s string) string {
		names, err := cl.Instream(context.Background(), strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(names, ",")
	}
	if got := scanStr(scanEicar); got != "Eicar-Test-Signature.UNOFFICIAL" {
		t.Fatalf("EICAR over the listener: %q", got)
	}
	const marker = "MAILWALL-RELOAD-TEST-MARKER"
	if got := scanStr(marker); got != "" {
		t.Fatalf("marker found before reload: %q", got)
	}
	write(t, filepath.Join(db, "new.ndb"), []byte("Reload.Marker:0:*:"+hex.EncodeToString([]byte(marker))+"\n"))
	if err := svc.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := scanStr(marker); got != "Reload.Marker.UNOFFICIAL" {
		t.Errorf("after reload: %q", got)
	}
	// A broken database keeps the old set.
	write(t, filepath.Join(db, "new.ndb"), []byte("broken line without fields\n"))
	os.Remove(filepath.Join(db, "test.hdb"))
	os.Remove(filepath.Join(db, "test.ndb"))
	_ = svc.Reload()
	if got := scanStr(scanEicar); got != "Eicar-Test-Signature.UNOFFICIAL" {
		t.Errorf("after a failed reload: %q", got)
	}
}
