package clamav

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// writeDB writes database files named by their extension into a temp dir
// and loads it.
func writeDB(t *testing.T, files map[string]string) *DB {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return db
}

func scanName(t *testing.T, e *Engine, data []byte) string {
	t.Helper()
	r, err := e.ScanBytes(context.Background(), data, "")
	if err != nil {
		t.Fatalf("ScanBytes: %v", err)
	}
	return strings.Join(r.Names, ",")
}

func TestEicarBody(t *testing.T) {
	db := writeDB(t, map[string]string{"e.ndb": "Eicar-Test-Signature:0:*:" + hex.EncodeToString([]byte(eicar)) + "\n"})
	e := NewEngine(db, DefaultOptions())
	tests := []struct {
		name string
		data string
		want string
	}{
		{"plain", eicar, "Eicar-Test-Signature.UNOFFICIAL"},
		{"embedded", "hello world\n" + eicar + "\ntrailer", "Eicar-Test-Signature.UNOFFICIAL"},
		{"clean", "hello world, nothing to see", ""},
		{"truncated", eicar[:len(eicar)-1], ""},
	}
	for _, tt := range tests {
		if got := scanName(t, e, []byte(tt.data)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if db.Signatures() != 1 || db.Version() != "0" {
		t.Errorf("Signatures %d Version %q", db.Signatures(), db.Version())
	}
}

func TestClamExeHDB(t *testing.T) {
	const path = "/usr/share/clamav-testfiles/clam.exe"
	if _, err := os.Stat(path); err != nil {
		t.Skip("clamav-testfiles not installed: ", err)
	}
	db := writeDB(t, map[string]string{"t.hdb": "aa15bcf478d165efd2065190eb473bcb:544:Test.ClamExe.HDB\n"})
	r, err := NewEngine(db, DefaultOptions()).ScanFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Infected || r.Names[0] != "Test.ClamExe.HDB.UNOFFICIAL" {
		t.Errorf("got %+v", r)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
