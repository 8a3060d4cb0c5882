package deliver

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawServer is a hand-written SMTP server for tests that need control of
// the bytes on the wire: it records the raw DATA section and can misbehave
// after STARTTLS.
type rawServer struct {
	addr    string
	ext     []string // EHLO keywords to offer
	cert    *tls.Certificate
	inject  string // sent right after "220" to STARTTLS, before the handshake
	mu      sync.Mutex
	conns   int
	data    []string // raw DATA sections, up to and including CRLF.CRLF
	dataTLS []bool   // whether each DATA came over TLS
	rcptFor func(rcpt string) string
	// dropAfterData closes the connection after each message, like a
	// server whose idle timeout hit a cached connection.
	dropAfterData bool
}

func startRaw(t *testing.T, r *rawServer) *rawServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = l.Addr().String()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns++
			r.mu.Unlock()
			wg.Go(func() { r.serve(c) })
		}
	})
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return r
}

func (r *rawServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	out := func(s string) { c.Write([]byte(s)) }
	isTLS := false
	out("220 raw.test ESMTP\r\n")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO":
			s := "250-raw.test\r\n"
			for _, e := range r.ext {
				if e == "STARTTLS" && isTLS {
					continue
				}
				s += "250-" + e + "\r\n"
			}
			out(s + "250 OK\r\n")
		case "STARTTLS":
			out("220 2.0.0 ready\r\n" + r.inject)
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{*r.cert}})
			if tc.Handshake() != nil {
				return
			}
			c, br, isTLS = tc, bufio.NewReader(tc), true
		case "MAIL":
			out("250 2.1.0 ok\r\n")
		case "RCPT":
			reply := "250 2.1.5 ok\r\n"
			if r.rcptFor != nil {
				reply = r.rcptFor(line)
			}
			out(reply)
		case "DATA":
			out("354 go ahead\r\n")
			var b strings.Builder
			for !strings.HasSuffix(b.String(), "\r\n.\r\n") {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				b.WriteString(l)
			}
			r.mu.Lock()
			r.data = append(r.data, b.String())
			r.dataTLS = append(r.dataTLS, isTLS)
			r.mu.Unlock()
			out("250 2.0.0 queued as RAW1\r\n")
			if r.dropAfterData {
				return
			}
		case "RSET":
			out("250 2.0.0 reset\r\n")
		case "QUIT":
			out("221 bye\r\n")
			return
		default:
			out("502 5.5.2 what\r\n")
		}
	}
}

// selfSigned makes a throwaway certificate for 127.0.0.1.
func selfSigned(t *testing.T) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"raw.test"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsCertificateNone is a certificate without a key: the server's handshake
// fails.
func tlsCertificateNone() tls.Certificate { return tls.Certificate{} }
