package policy

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"mailwall/internal/envelope"
)

// bigAccessMap has n entries of each kind, like a site's long-grown file.
func bigAccessMap(n int) string {
	var b strings.Builder
	b.WriteString(seedAccess)
	for i := range n {
		fmt.Fprintf(&b, "spammer%d.test REJECT\nFrom:user%d@x.test REJECT\n10.%d.%d OK\n198.18.%d.0/24 REJECT\n",
			i, i, i/256%256, i%256, i%256)
	}
	return b.String()
}

func BenchmarkRcptRelayDenied(b *testing.B) {
	path := writeFileTB(b, bigAccessMap(10000))
	e, err := New(Config{LocalDomains: []string{"example.test"}, AccessMap: path}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	c := conn("198.51.100.7")
	b.ReportAllocs()
	for b.Loop() {
		e.Rcpt(context.Background(), c, envelope.Address{}, "user%other.test@example.test")
	}
}

func BenchmarkMailAccessMap(b *testing.B) {
	path := writeFileTB(b, bigAccessMap(10000))
	e, err := New(Config{AccessMap: path}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	c := conn("198.51.100.7")
	from := envelope.Address{Local: "someone", Domain: "mail.sub.example.net"}
	b.ReportAllocs()
	for b.Loop() {
		e.Mail(context.Background(), c, from)
	}
}

func BenchmarkAccessLookupIP(b *testing.B) {
	m, err := parseAccessMap("bench", []byte(bigAccessMap(10000)))
	if err != nil {
		b.Fatal(err)
	}
	ip := netip.MustParseAddr("198.51.100.7")
	b.ReportAllocs()
	for b.Loop() {
		m.lookupIP(tagConnect, ip)
	}
}

func BenchmarkParseAccessMap10k(b *testing.B) {
	data := []byte(bigAccessMap(10000))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseAccessMap("bench", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPasswordDefault(b *testing.B) {
	old := hashParams
	hashParams = argonParams{mem: 19 * 1024, time: 2, threads: 1}
	defer func() { hashParams = old }()
	h, err := HashPassword("correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		CheckPassword(h, "wrong password")
	}
}

func writeFileTB(tb testing.TB, data string) string {
	tb.Helper()
	p := tb.TempDir() + "/access"
	if err := writeFileErr(p, data); err != nil {
		tb.Fatal(err)
	}
	return p
}
