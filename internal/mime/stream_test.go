package mime

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestParseStreamsLargeMessage parses a 40 MB message from a file and checks
// that parsing allocates a small fraction of its size: bodies are read
// through the ReaderAt, never held.
func TestParseStreamsLargeMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40 MB file")
	}
	path := filepath.Join(t.TempDir(), "big.eml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello http://big.example.test/\r\n")
	fmt.Fprint(w, "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := strings.Repeat("QUJD", 19) + "\r\n"
	for range (40 << 20) / len(line) {
		w.WriteString(line)
	}
	fmt.Fprint(w, "--b--\r\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := Parse(f, st.Size(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_ = m.Text()
	_ = m.URIs()
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("parsing %d bytes allocated %d bytes", st.Size(), alloc)
	}
	if got := shape(m.Root); got != "multipart/mixed[text/plain,application/octet-stream]" {
		t.Errorf("shape %s", got)
	}
	if got := m.URIs(); len(got) != 1 || got[0] != "http://big.example.test/" {
		t.Errorf("URIs %q", got)
	}
	if att := m.Attachments(); len(att) != 1 || att[0].BodyEnd-att[0].BodyStart < 39<<20 {
		t.Errorf("attachment span wrong")
	}
}

// TestConcurrentReaders runs the cached accessors from many goroutines (run
// with -race).
func TestConcurrentReaders(t *testing.T) {
	m := parseString(t, crlf(nestedMsg))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_ = m.Text()
			_ = m.URIs()
			for _, p := range m.Parts {
				_ = p.Text()
				readAll(t, p.Open())
			}
		})
	}
	wg.Wait()
	if got := m.URIs(); len(got) != 1 || got[0] != "http://example.test/x" {
		t.Errorf("URIs %q", got)
	}
}
