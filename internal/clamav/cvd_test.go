package clamav

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeContainer builds a CVD-like container: header plus (gzipped) tar.
func makeContainer(t *testing.T, version int, dsig string, gz bool, files map[string]string) []byte {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	body := tb.Bytes()
	if gz {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(body)
		zw.Close()
		body = zb.Bytes()
	}
	sum := md5.Sum(body)
	h := fmt.Sprintf("ClamAV-VDB:23 Nov 2026 08-00 +0000:%d:%d:90:%s:%s:builder:1790000000",
		version, len(files), hex.EncodeToString(sum[:]), dsig)
	head := []byte(h + strings.Repeat(" ", cvdHeaderLen-len(h)))
	return append(head, body...)
}

func TestCLDContainer(t *testing.T) {
	for _, gz := range []bool{true, false} {
		dir := t.TempDir()
		c := makeContainer(t, 27123, "unsigned", gz, map[string]string{
			"daily.ndb":  "Eicar-Test-Signature:0:*:" + hx(eicar) + "\n",
			"daily.info": "DAILY:27123\n",
			"daily.ign2": "Nothing.Here\n",
		})
		writeFiles(t, dir, map[string]string{"daily.cld": string(c), "local.hdb": "aa15bcf478d165efd2065190eb473bcb:544:Local.Sig\n"})
		db, err := Load(dir)
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if db.Time().Unix() != 1790000000 {
			t.Errorf("gz=%v: time %v", gz, db.Time())
		}
		if db.Version() != "27123" || db.Signatures() != 2 {
			t.Errorf("gz=%v: version %q sigs %d", gz, db.Version(), db.Signatures())
		}
		// Official names carry no .UNOFFICIAL suffix.
		if got := scanName(t, NewEngine(db, DefaultOptions()), []byte(eicar)); got != "Eicar-Test-Signature" {
			t.Errorf("gz=%v: got %q", gz, got)
		}
	}
}

func TestCVDBadSignature(t *testing.T) {
	dir := t.TempDir()
	c := makeContainer(t, 1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true,
		map[string]string{"main.ndb": "X:0:*:41424344\n"})
	writeFiles(t, dir, map[string]string{"main.cvd": string(c)})
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "digital signature") {
		t.Fatalf("bad signature: got %v", err)
	}
	// A body that does not match the header's MD5 is refused first.
	c[len(c)-1] ^= 1
	os.WriteFile(filepath.Join(dir, "main.cvd"), c, 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "MD5") {
		t.Fatalf("bad MD5: got %v", err)
	}
}

// TestDsigScheme signs with a key of our own in ClamAV's scheme and checks
// verifyDsigWith accepts it and rejects a tampered MD5.
func TestDsigScheme(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	md5hex := "0123456789abcdef0123456789abcdef"
	m := new(big.Int).SetBytes(mustHex(t, md5hex))
	// The key's private exponent "decrypts"; the public one recovers m.
	s := new(big.Int).Exp(m, key.D, key.N)
	dsig := encodeDsig(s)
	e := big.NewInt(int64(key.E))
	if err := verifyDsigWith(key.N, e, md5hex, dsig); err != nil {
		t.Fatalf("good signature: %v", err)
	}
	if err := verifyDsigWith(key.N, e, "f"+md5hex[1:], dsig); err == nil {
		t.Fatal("tampered MD5 accepted")
	}
	if err := verifyDsigWith(key.N, e, md5hex, dsig+"*"); err == nil {
		t.Fatal("bad character accepted")
	}
}

// encodeDsig writes n in ClamAV's little-endian base-64 digits.
func encodeDsig(n *big.Int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
	var sb strings.Builder
	x := new(big.Int).Set(n)
	r := new(big.Int)
	for x.Sign() > 0 {
		x.DivMod(x, big.NewInt(64), r)
		sb.WriteByte(alphabet[r.Int64()])
	}
	return sb.String()
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCVDHeader(t *testing.T) {
	h := []byte("ClamAV-VDB:10 Mar 2024 07-45 -0400:27210:2062357:90:0123456789abcdef0123456789abcdef:sig:raynman:1710071100" + strings.Repeat(" ", 512))
	c, err := parseCVDHeader(h)
	if err != nil || c.version != 27210 || c.sigs != 2062357 || c.flevel != 90 || c.builder != "raynman" || c.stime != 1710071100 {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"", "ClamAV-VDB:x", "NotClamAV:a:1:2:3:4:5:6:7", "ClamAV-VDB:t:x:1:2:m:d:b:1"} {
		if _, err := parseCVDHeader([]byte(bad + strings.Repeat(" ", 512))); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
