package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mailwall/internal/clamd"
)

// clamdConf writes a clamd.conf, read by clamd and by clamdscan, for a
// unix socket and a TCP address.
func clamdConf(t *testing.T, path, sock, tcp, db string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(tcp)
	conf := fmt.Sprintf("LocalSocket %s\nTCPSocket %s\nTCPAddr %s\nForeground yes\nDatabaseDirectory %s\n"+
		"TemporaryDirectory %s\nLogFile %s.log\nStreamMaxLength 100M\nMaxThreads 4\n",
		sock, port, host, db, filepath.Dir(path), path)
	write(t, path, []byte(conf))
}

// startClamd runs ClamAV's clamd with conf until the test ends.
func startClamd(t *testing.T, conf, sock string) {
	t.Helper()
	bin, err := exec.LookPath("clamd")
	if err != nil {
		t.Skip("clamd not installed: apt-get install clamav-daemon")
	}
	cmd := exec.Command(bin, "-c", conf)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	c := clamd.NewClient("unix:" + sock)
	for start := time.Now(); c.Ping(context.Background()) != nil; {
		select {
		case <-exited:
			t.Fatalf("clamd exited: %s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("clamd not ready in 60 s: %s", out.String())
		}
	}
}

// TestServeClamdListenerVsClamd runs `mailwall serve` with
// antivirus.clamd_listen on a unix socket and a TCP port, and ClamAV's
// clamd on the same database; Debian's clamdscan and a raw INSTREAM client
// get the same answers from both.
func TestServeClamdListenerVsClamd(t *testing.T) {
	clamdscan, err := exec.LookPath("clamdscan")
	if err != nil {
		t.Skip("clamdscan not installed: apt-get install clamdscan")
	}
	dir := t.TempDir()
	db := scanDB(t, true)
	realSock, mwSock := filepath.Join(dir, "clamd.sock"), filepath.Join(dir, "mw.sock")
	realTCP, mwTCP := freeAddr(t), freeAddr(t)
	clamdConf(t, filepath.Join(dir, "clamd.conf"), realSock, realTCP, db)
	clamdConf(t, filepath.Join(dir, "mw.conf"), mwSock, mwTCP, db)
	startClamd(t, filepath.Join(dir, "clamd.conf"), realSock)
	sink := listenLocal(t)
	defer sink.Close()
	startGateway(t, dir, baseConfig(dir, sink.Addr().String(), fmt.Sprintf(`antivirus:
  database_dir: %s
  clamd_listen: ["unix:%s", "%s"]
`, db, mwSock, mwTCP)))

	files := []string{filepath.Join(dir, "eicar.com"), filepath.Join(dir, "clean.txt"), filepath.Join(dir, "empty")}
	write(t, files[0], []byte(scanEicar))
	write(t, files[1], []byte("hello"))
	write(t, files[2], nil)
	for _, f := range []string{"clam.exe", "clam.zip", "clam.tar.gz", "clam.exe.mbox.base64", "clam.7z"} {
		if p := filepath.Join("/usr/share/clamav-testfiles", f); fileExists(p) {
			files = append(files, p)
		}
	}
	run := func(conf string, mode ...string) string {
		args := append([]string{"--config-file=" + conf, "--no-summary"}, mode...)
		out, _ := exec.Command(clamdscan, append(args, files...)...).Output()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	}
	for _, mode := range [][]string{{"--stream"}, {"--fdpass"}} {
		want, got := run(filepath.Join(dir, "clamd.conf"), mode...), run(filepath.Join(dir, "mw.conf"), mode...)
		if got != want || !strings.Contains(got, "FOUND") {
			t.Errorf("clamdscan %v:\nmailwall:\n%s\nclamd:\n%s", mode, got, want)
		}
	}
	for _, pair := range [][2]string{{"unix:" + realSock, "unix:" + mwSock}, {realTCP, mwTCP}} {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, werr := clamd.NewClient(pair[0]).Instream(context.Background(), bytes.NewReader(data))
			got, gerr := clamd.NewClient(pair[1]).Instream(context.Background(), bytes.NewReader(data))
			if !slices.Equal(got, want) || (werr == nil) != (gerr == nil) {
				t.Errorf("INSTREAM %s via %s: mailwall %v %v, clamd %v %v", filepath.Base(f), pair[1], got, gerr, want, werr)
			}
		}
	}
	// SHUTDOWN is off by default (antivirus.allow_shutdown).
	c, err := net.Dial("unix", mwSock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("zSHUTDOWN\x00"))
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	if string(buf[:n]) != "COMMAND UNAVAILABLE\x00" {
		t.Errorf("SHUTDOWN: %q", buf[:n])
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
