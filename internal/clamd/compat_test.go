package clamd_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mailwall/internal/clamav"
	"mailwall/internal/clamd"
)

// streamMax is StreamMaxLength for both daemons.
const streamMax = 1 << 20

// native serves the native engine over the protocol, as serve wires it.
type native struct{ first, all *clamav.Engine }

func names(res *clamav.Result) []string {
	out := slices.Clone(res.Names)
	if res.Heuristic != "" {
		out = append(out, res.Heuristic)
	}
	return out
}

func (n native) ScanReader(ctx context.Context, r io.Reader) ([]string, error) {
	res, err := n.first.ScanReader(ctx, r, "stream")
	if err != nil {
		return nil, err
	}
	return names(res), nil
}

func (n native) ScanFile(ctx context.Context, path string, all bool) ([]string, error) {
	e := n.first
	if all {
		e = n.all
	}
	res, err := e.ScanFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return names(res), nil
}

func (native) Version() string { return clamd.FormatVersion("1.4.6", 0, time.Time{}) }
func (native) Reload() error   { return nil }

// pair is a real clamd and mailwall's server over the same database.
type pair struct {
	dir, dbDir    string
	real          *realClamd
	mwSock, mwTCP string
	mwConf        string
}

func startPair(t *testing.T) *pair {
	t.Helper()
	dir := t.TempDir()
	p := &pair{dir: dir, dbDir: filepath.Join(dir, "db")}
	writeDB(t, p.dbDir)
	p.real = startRealClamd(t, dir, p.dbDir, streamMax)
	db, err := clamav.Load(p.dbDir)
	if err != nil {
		t.Fatal(err)
	}
	o := clamav.DefaultOptions()
	all := o
	all.AllMatch = true
	srv := clamd.NewServer(native{clamav.NewEngine(db, o), clamav.NewEngine(db, all)}, clamd.ServerOptions{StreamMaxLength: streamMax})
	t.Cleanup(func() { srv.Close() })
	p.mwSock = filepath.Join(dir, "mailwall.sock")
	ul, err := net.Listen("unix", p.mwSock)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.mwTCP = tl.Addr().String()
	go srv.Serve(context.Background(), ul)
	go srv.Serve(context.Background(), tl)
	p.mwConf = writeClamdConf(t, dir, "mailwall.conf", p.mwSock, p.mwTCP, p.dbDir, streamMax)
	return p
}

// mustMatch are the clamav-testfiles mailwall must answer like clamd (the
// container and encoding files of the acceptance list).
var mustMatch = []string{
	"clam.7z", "clam.arj", "clam.bin-be.cpio", "clam.bin-le.cpio", "clam.bz2.zip", "clam.cab",
	"clam.d64.zip", "clam.exe", "clam.exe.binhex", "clam.exe.bz2", "clam.exe.html",
	"clam.exe.mbox.base64", "clam.exe.mbox.uu", "clam.exe.rtf", "clam.exe.szdd", "clam.impl.zip",
	"clam.mail", "clam.newc.cpio", "clam.odc.cpio", "clam.ole.doc", "clam.pdf", "clam.ppt",
	"clam.sis", "clam.tar.gz", "clam.tnef", "clam.zip",
}

// TestCompatInstream sends the same files with a raw INSTREAM client to
// clamd and to mailwall, over unix and TCP sockets: same answers.
func TestCompatInstream(t *testing.T) {
	p := startPair(t)
	files := sampleFiles(t, t.TempDir())
	for _, f := range mustMatch {
		if _, err := os.Stat(filepath.Join(testfiles, f)); err == nil {
			files = append(files, filepath.Join(testfiles, f))
		}
	}
	files = append(files, writeSized(t, streamMax), writeSized(t, streamMax+1))
	ctx := context.Background()
	for _, tr := range []struct{ name, real, mw string }{
		{"unix", "unix:" + p.real.sock, "unix:" + p.mwSock},
		{"tcp", p.real.tcp, p.mwTCP},
	} {
		rc, mc := clamd.NewClient(tr.real), clamd.NewClient(tr.mw)
		for _, f := range files {
			want := instreamAnswer(ctx, rc, f)
			got := instreamAnswer(ctx, mc, f)
			if got != want {
				t.Errorf("%s %s: mailwall %q, clamd %q", tr.name, filepath.Base(f), got, want)
			}
		}
	}
}

func writeSized(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sized")
	if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// instreamAnswer is the names found, or the error text.
func instreamAnswer(ctx context.Context, c *clamd.Client, path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	names, err := c.Instream(ctx, f)
	if err != nil {
		// Drop the address the error names: it differs between daemons.
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasSuffix(msg, "ERROR") {
			msg = msg[i+2:]
		}
		return "error: " + msg
	}
	return strings.Join(names, ",")
}

// TestCompatClamdscan runs Debian's clamdscan --stream against both
// daemons with the same files: same lines, same exit status.
func TestCompatClamdscan(t *testing.T) {
	bin, err := exec.LookPath("clamdscan")
	if err != nil {
		t.Skip("clamdscan not installed: apt-get install clamdscan")
	}
	p := startPair(t)
	files := sampleFiles(t, t.TempDir())
	for _, f := range mustMatch {
		if _, err := os.Stat(filepath.Join(testfiles, f)); err == nil {
			files = append(files, filepath.Join(testfiles, f))
		}
	}
	run := func(conf string, extra ...string) (string, int) {
		args := append([]string{"--config-file=" + conf, "--no-summary"}, extra...)
		cmd := exec.Command(bin, append(args, files...)...)
		out, _ := cmd.Output()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		slices.Sort(lines)
		return strings.Join(lines, "\n"), cmd.ProcessState.ExitCode()
	}
	for _, mode := range [][]string{{"--stream"}, {"--stream", "--multiscan"}, {"--fdpass"}} {
		want, wantCode := run(p.real.conf, mode...)
		got, gotCode := run(p.mwConf, mode...)
		if got != want || gotCode != wantCode {
			t.Errorf("clamdscan %v:\nmailwall (exit %d):\n%s\nclamd (exit %d):\n%s", mode, gotCode, got, wantCode, want)
		}
	}
}

// TestCompatProtocol sends the same bytes to both daemons and compares
// the replies byte for byte.
func TestCompatProtocol(t *testing.T) {
	p := startPair(t)
	dir := t.TempDir()
	one := filepath.Join(dir, "one")
	os.Mkdir(one, 0o755)
	os.WriteFile(filepath.Join(one, "e.txt"), []byte(eicar), 0o644)
	os.WriteFile(filepath.Join(one, "c.txt"), []byte("clean"), 0o644)
	os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644)
	eic := filepath.Join(one, "e.txt")
	reqs := []string{
		"zPING\x00", "nPING\n", "PING\n", "zFOO\x00", "FOO\n", "zping\x00", "zPING x\x00", "zSCAN\x00", "zEND\x00",
		"zSCAN " + eic + "\x00", "nSCAN " + eic + "\n", "SCAN " + eic + "\n",
		"zSCAN " + dir + "/empty\x00", "zSCAN " + dir + "/missing\x00",
		"zCONTSCAN " + one + "\x00", "zMULTISCAN " + one + "\x00", "zALLMATCHSCAN " + eic + "\x00",
		"zINSTREAM\x00" + frame([]byte(eicar)), "nINSTREAM\n" + frame([]byte("clean")),
		"zINSTREAM\x00" + frame(nil), "INSTREAM\n" + frame([]byte("x")),
		"zINSTREAM\x00" + frame(make([]byte, streamMax+1)),
		"zIDSESSION\x00zPING\x00zINSTREAM\x00" + frame([]byte(eicar)) + "zEND\x00",
		"nIDSESSION\nnPING\nnEND\n", "zIDSESSION\x00zCONTSCAN /\x00", "zIDSESSION\x00zFOO\x00",
	}
	for _, r := range reqs {
		want := exchange(t, p.real.sock, r)
		got := exchange(t, p.mwSock, r)
		if got != want {
			t.Errorf("%.40q:\nmailwall %q\nclamd    %q", r, got, want)
		}
	}
}

func frame(data []byte) string {
	var b []byte
	for len(data) > 0 {
		n := min(len(data), 64<<10)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
		b = append(b, data[:n]...)
		data = data[n:]
	}
	return string(binary.BigEndian.AppendUint32(b, 0))
}

// exchange sends req, half-closes, and reads until the daemon closes.
func exchange(t *testing.T, sock, req string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		_, _ = io.WriteString(c, req)
		_ = c.(*net.UnixConn).CloseWrite()
	}()
	out, _ := io.ReadAll(c)
	return string(out)
}
