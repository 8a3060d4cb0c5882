package policy

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"mailwall/internal/envelope"
)

// seedAccess is the example from the issue plus one entry per key kind
// and value.
const seedAccess = `# sendmail access map
spam@hacker.com         REJECT
spammail.com            REJECT
useful.org              OK
172.16                  RELAY
192.168.3               REJECT
192.168.3.4             OK
10.0.0.0/8              ERROR:4.7.1:451 try later
10.1.0.0/16             DISCARD
IPv6:2001:db8::/32      REJECT
IPv6:2001:db8::25       OK
Connect:badhost.test    ERROR:5.7.1:550 go away
From:promo@             ERROR:"553 광고성 스팸메일 not accepted"
From:friend.spammail.com SKIP
To:abuse@example.test   OK
To:nobody@example.test  ERROR:550 5.1.1 no such user
To:closed.example.test  REJECT
dropme.test             DISCARD
GreetPause:192.0.2      5000
`

func TestAccessMapParse(t *testing.T) {
	m, err := parseAccessMap("access", []byte(seedAccess))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.warnings) != 1 || !strings.Contains(m.warnings[0], "access:19") {
		t.Errorf("warnings = %q, want one for GreetPause on line 19", m.warnings)
	}
	bad := []struct{ in, want string }{
		{"keyonly", "access:1: key \"keyonly\" has no value"},
		{"x.test MAYBE", "unknown value"},
		{"x.test ERROR:5.7.1:250 hi", "bad reply code"},
		{"x.test ERROR:4.7.1:550 hi", "does not match"},
		{"x.test ERROR:9.9.9:550 hi", "bad enhanced"},
		{"Bogus:x.test OK", "unknown tag"},
		{"IPv6:zz OK", "bad IPv6"},
		{"10.0.0.0/40 OK", "bad CIDR"},
		{"exa mple OK", ""},
		{"a@b@c OK", "bad address key"},
		{"@ OK", "bad key"},
	}
	for _, tt := range bad {
		_, err := parseAccessMap("access", []byte(tt.in+"\n"))
		if err == nil {
			if tt.want != "" {
				t.Errorf("%q: no error", tt.in)
			}
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "access:1") {
			t.Errorf("%q: err %v, want file:line and %q", tt.in, err, tt.want)
		}
	}
}

func TestAccessMapConnect(t *testing.T) {
	e, _, _ := newEngine(t, Config{LocalDomains: []string{"example.test"}, AccessMap: writeFile(t, "access", seedAccess)})
	tests := []struct {
		ip, host string
		want     string
	}{
		{"172.16.5.5", "", "ok"},
		{"192.168.3.9", "", "554 5.7.1 Access denied"},
		{"192.168.3.4", "", "ok"},
		{"10.2.3.4", "", "451 4.7.1 try later"},
		{"10.1.3.4", "", "discard"},
		{"2001:db8::1", "", "554 5.7.1 Access denied"},
		{"2001:db8::25", "", "ok"},
		{"198.51.100.1", "mail.badhost.test", "550 5.7.1 go away"},
		{"198.51.100.1", "mx.spammail.com", "554 5.7.1 Access denied"},
		{"198.51.100.1", "mx.other.test", "continue"},
	}
	for _, tt := range tests {
		c := conn(tt.ip)
		c.Hostname = tt.host
		d := e.Connect(context.Background(), c)
		got := d.Action.String()
		if d.Err != nil {
			got = d.Text(false)
		}
		if got != tt.want {
			t.Errorf("connect %s %s: %q, want %q", tt.ip, tt.host, got, tt.want)
		}
		if d.Decisive() && !strings.HasPrefix(d.Source, "access_map:") {
			t.Errorf("connect %s: source %q", tt.ip, d.Source)
		}
	}
	// 172.16 RELAY lets the client relay.
	if _, d := e.Rcpt(context.Background(), conn("172.16.1.1"), envelope.Address{}, "u@other.test"); d.Action != Relay {
		t.Errorf("172.16 RELAY: %v", d.Action)
	}
}

func TestAccessMapSender(t *testing.T) {
	e, _, _ := newEngine(t, Config{LocalDomains: []string{"example.test"}, AccessMap: writeFile(t, "access", seedAccess)})
	tests := []struct {
		from      string
		want      string
		utf8Reply string
	}{
		{"spam@hacker.com", "550 5.7.1 Access denied", ""},
		{"other@hacker.com", "continue", ""},
		{"anyone@spammail.com", "550 5.7.1 Access denied", ""},
		{"anyone@mx.spammail.com", "550 5.7.1 Access denied", ""},
		{"anyone@friend.spammail.com", "continue", ""},
		{"x@useful.org", "ok", ""},
		{"promo@anywhere.test", "553 5.7.1 ??? ???? not accepted", "553 5.7.1 광고성 스팸메일 not accepted"},
		{"x@dropme.test", "discard", ""},
	}
	for _, tt := range tests {
		d := e.Mail(context.Background(), conn("198.51.100.1"), addr(t, tt.from))
		got := d.Action.String()
		if d.Err != nil {
			got = d.Text(false)
		}
		if got != tt.want {
			t.Errorf("MAIL <%s>: %q, want %q", tt.from, got, tt.want)
		}
		if tt.utf8Reply != "" && d.Text(true) != tt.utf8Reply {
			t.Errorf("MAIL <%s> with SMTPUTF8: %q, want %q", tt.from, d.Text(true), tt.utf8Reply)
		}
	}
}

func TestAccessMapRecipient(t *testing.T) {
	e, _, _ := newEngine(t, Config{LocalDomains: []string{"example.test", "closed.example.test"},
		AccessMap: writeFile(t, "access", seedAccess)})
	tests := []struct{ rcpt, want string }{
		{"abuse@example.test", "ok"},
		{"nobody@example.test", "550 5.1.1 no such user"},
		{"x@closed.example.test", "550 5.7.1 Access denied"},
		{"x@example.test", "ok"},
	}
	for _, tt := range tests {
		_, d := e.Rcpt(context.Background(), conn("198.51.100.1"), envelope.Address{}, tt.rcpt)
		got := d.Action.String()
		if d.Err != nil {
			got = d.Text(false)
		}
		if got != tt.want {
			t.Errorf("RCPT <%s>: %q, want %q", tt.rcpt, got, tt.want)
		}
	}
}

func TestAccessMapReload(t *testing.T) {
	path := writeFile(t, "access", "spammail.com REJECT\n")
	e, logs, now := newEngine(t, Config{AccessMap: path})
	from := addr(t, "x@spammail.com")
	if d := e.Mail(context.Background(), conn("198.51.100.1"), from); d.Action != Reject {
		t.Fatalf("before reload: %v", d.Action)
	}
	if err := os.WriteFile(path, []byte("spammail.com OK\n# longer now\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Not re-read within the same second.
	if d := e.Mail(context.Background(), conn("198.51.100.1"), from); d.Action != Reject {
		t.Errorf("re-read too early: %v", d.Action)
	}
	*now = now.Add(2 * time.Second)
	if d := e.Mail(context.Background(), conn("198.51.100.1"), from); d.Action != OK {
		t.Errorf("after reload: %v, want ok", d.Action)
	}
	// A broken file keeps the loaded version and is logged.
	if err := os.WriteFile(path, []byte("spammail.com MAYBE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(2 * time.Second)
	if d := e.Mail(context.Background(), conn("198.51.100.1"), from); d.Action != OK {
		t.Errorf("after broken reload: %v, want ok (old map)", d.Action)
	}
	if !strings.Contains(logs.String(), "reload failed") {
		t.Errorf("broken reload not logged: %s", logs)
	}
}

func TestLookupIPLongestMatch(t *testing.T) {
	m, err := parseAccessMap("a", []byte("10.0.0.0/8 REJECT\n10.1 OK\n10.1.2.0/24 DISCARD\nConnect:10.1.2.3 RELAY\n10.1.2.4 SKIP\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip   string
		want Action
		ok   bool
	}{
		{"10.9.9.9", Reject, true},
		{"10.1.9.9", OK, true},
		{"10.1.2.9", Discard, true},
		{"10.1.2.3", Relay, true},
		{"10.1.2.4", Continue, false},
		{"11.0.0.1", Continue, false},
	}
	for _, tt := range tests {
		h, ok := m.lookupIP(tagConnect, netip.MustParseAddr(tt.ip))
		if ok != tt.ok || h.v.action != tt.want {
			t.Errorf("%s: %v %v, want %v %v", tt.ip, h.v.action, ok, tt.want, tt.ok)
		}
	}
}

// FuzzAccessMap: no input panics the parser or a lookup, and every
// parsed reply is a single safe line.
func FuzzAccessMap(f *testing.F) {
	f.Add([]byte(seedAccess))
	f.Add([]byte("From:a@ ERROR:\"5.7.1:550 x\"\n"))
	f.Add([]byte("IPv6:::1 OK\n1.2.3.4/0 REJECT\n"))
	f.Add([]byte("x ERROR:550\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseAccessMap("fuzz", data)
		if err != nil {
			return
		}
		for _, ip := range []string{"10.1.2.3", "2001:db8::1", "192.168.3.4"} {
			m.lookupIP(tagConnect, netip.MustParseAddr(ip))
		}
		if h, ok := m.lookup(tagFrom, addressKeys("a", "b.example.test")); ok {
			d := m.decision(h, 550)
			if strings.ContainsAny(d.Text(false)+d.Text(true), "\r\n\x00") {
				t.Fatalf("reply with control characters: %q", d.Text(true))
			}
		}
	})
}
