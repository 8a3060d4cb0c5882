package clamd_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailwall/internal/clamd"
)

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// testfiles is Debian's clamav-testfiles directory.
const testfiles = "/usr/share/clamav-testfiles"

// writeDB writes the tiny database of the compatibility tests: EICAR as a
// body signature and clam.exe's MD5.
func writeDB(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"test.ndb": "Eicar-Test-Signature:0:*:" + hex.EncodeToString([]byte(eicar)) + "\n",
		"test.hdb": "aa15bcf478d165efd2065190eb473bcb:544:Test.ClamExe.HDB\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// realClamd is a private clamd started for one test.
type realClamd struct {
	sock, tcp, conf string
}

// startRealClamd runs clamd in the foreground with its own config on a
// unix socket in dir and a free loopback port, and stops it at cleanup.
func startRealClamd(t *testing.T, dir, dbDir string, streamMax int64) *realClamd {
	t.Helper()
	bin, err := exec.LookPath("clamd")
	if err != nil {
		t.Skip("clamd not installed: apt-get install clamav-daemon")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	rc := &realClamd{sock: filepath.Join(dir, "clamd.sock"), tcp: fmt.Sprintf("127.0.0.1:%d", port)}
	rc.conf = writeClamdConf(t, dir, "clamd.conf", rc.sock, rc.tcp, dbDir, streamMax)
	cmd := exec.Command(bin, "-c", rc.conf)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	c := clamd.NewClient("unix:" + rc.sock)
	c.Timeout = 5 * time.Second
	deadline := time.Now().Add(60 * time.Second)
	for tick := time.NewTicker(100 * time.Millisecond); ; <-tick.C {
		if c.Ping(context.Background()) == nil {
			return rc
		}
		select {
		case <-exited:
			t.Fatalf("clamd exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("clamd not ready in 60 s: %s", out.String())
		}
	}
}

// writeClamdConf writes a clamd.conf (also read by clamdscan) for the
// given sockets; tcp may be "".
func writeClamdConf(t *testing.T, dir, name, sock, tcp, dbDir string, streamMax int64) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "LocalSocket %s\nFixStaleSocket yes\nForeground yes\n", sock)
	if tcp != "" {
		host, port, _ := net.SplitHostPort(tcp)
		fmt.Fprintf(&b, "TCPSocket %s\nTCPAddr %s\n", port, host)
	}
	tmp := filepath.Join(dir, "tmp")
	_ = os.MkdirAll(tmp, 0o755)
	fmt.Fprintf(&b, "DatabaseDirectory %s\nTemporaryDirectory %s\nLogFile %s\nStreamMaxLength %d\nMaxThreads 4\n",
		dbDir, tmp, filepath.Join(dir, name+".log"), streamMax)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// sampleFiles writes EICAR in several wrappings plus clean files and
// returns their paths.
func sampleFiles(t *testing.T, dir string) []string {
	t.Helper()
	zipOf := func(name string, data []byte) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create(name)
		w.Write(data)
		zw.Close()
		return buf.Bytes()
	}
	tgzOf := func(name string, data []byte) []byte {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data))})
		tw.Write(data)
		tw.Close()
		gz.Close()
		return buf.Bytes()
	}
	mime := "From: a@example.org\r\nTo: b@example.org\r\nSubject: test\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--XX\r\nContent-Type: application/octet-stream; name=\"e.com\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte(eicar)) + "\r\n--XX--\r\n"
	files := map[string][]byte{
		"eicar.com":         []byte(eicar),
		"eicar.zip":         zipOf("eicar.com", []byte(eicar)),
		"eicar-zip-zip.tgz": tgzOf("inner.zip", zipOf("e.zip", zipOf("eicar.com", []byte(eicar)))),
		"eicar.eml":         []byte(mime),
		"clean.txt":         []byte("nothing to see here\n"),
		"clean.html":        []byte("<html><body><p>Hello</p></body></html>\n"),
		"clean.zip":         zipOf("a.txt", []byte("plain text")),
		"clean-big.bin":     bytes.Repeat([]byte("0123456789abcdef"), 20000),
		"eicar-at-end.bin":  append(bytes.Repeat([]byte{0}, 300000), eicar...),
		"empty":             nil,
	}
	var paths []string
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}
