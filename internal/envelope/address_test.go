package envelope

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in         string
		local, dom string
		err        error
	}{
		{"", "", "", nil},
		{"user@example.test", "user", "example.test", nil},
		{"User@EXAMPLE.Test.", "User", "example.test", nil},
		{"first.last+tag@sub.example.test", "first.last+tag", "sub.example.test", nil},
		{`"john"@example.test`, "john", "example.test", nil},
		{`"john smith"@example.test`, `"john smith"`, "example.test", nil},
		{`"user@other.test"@example.test`, `"user@other.test"`, "example.test", nil},
		{`"a\"b"@example.test`, `"a\"b"`, "example.test", nil},
		{"user%other.test@example.test", "user%other.test", "example.test", nil},
		{"other.test!user@example.test", "other.test!user", "example.test", nil},
		{"user@[192.0.2.1]", "user", "[192.0.2.1]", nil},
		{"user@[IPv6:2001:DB8::1]", "user", "[IPv6:2001:db8::1]", nil},
		{"Postmaster", "Postmaster", "", nil},
		{"user@bücher.example", "user", "xn--bcher-kva.example", nil},
		{"δοκιμή@example.test", "δοκιμή", "example.test", nil},
		{"user@other.test@example.test", "", "", ErrAddrSyntax},
		{`"user@other.test"`, "", "", ErrAddrSyntax},
		{"@example.test:user@other.test", "", "", ErrAddrSyntax},
		{"user", "", "", ErrAddrSyntax},
		{"other.test!user", "", "", ErrAddrSyntax},
		{"user@", "", "", ErrAddrSyntax},
		{"@example.test", "", "", ErrAddrSyntax},
		{"user@[192.0.2.300]", "", "", ErrAddrSyntax},
		{"user@[192.0.2.1", "", "", ErrAddrSyntax},
		{"user@[IPv6:192.0.2.1]", "", "", ErrAddrSyntax},
		{"user@exa mple.test", "", "", ErrAddrSyntax},
		{"us er@example.test", "", "", ErrAddrSyntax},
		{"user@example..test", "", "", ErrAddrSyntax},
		{"user@.example.test", "", "", ErrAddrSyntax},
		{"user@example.test..", "", "", ErrAddrSyntax},
		{`"unterminated@example.test`, "", "", ErrAddrSyntax},
		{`"a"b@example.test`, "", "", ErrAddrSyntax},
		{"user\r\n@example.test", "", "", ErrAddrSyntax},
		{"user(comment)@example.test", "", "", ErrAddrSyntax},
		{strings.Repeat("a", 65) + "@example.test", "", "", ErrAddrTooLong},
		{"a@" + strings.Repeat("b", 64) + ".test", "", "", ErrAddrSyntax},
		{"a@" + strings.Repeat("b.", 130) + "test", "", "", ErrAddrTooLong},
	}
	for _, tt := range tests {
		a, err := ParseAddress(tt.in)
		if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
			t.Errorf("ParseAddress(%q) err = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if a.Local != tt.local || a.Domain != tt.dom {
			t.Errorf("ParseAddress(%q) = %q @ %q, want %q @ %q", tt.in, a.Local, a.Domain, tt.local, tt.dom)
		}
	}
}

func TestAddressLiteral(t *testing.T) {
	a, _ := ParseAddress("u@[192.0.2.1]")
	if ip, ok := a.Literal(); !ok || ip.String() != "192.0.2.1" {
		t.Errorf("Literal() = %v %v", ip, ok)
	}
	a, _ = ParseAddress("u@example.test")
	if _, ok := a.Literal(); ok {
		t.Errorf("Literal() of a name is ok")
	}
}

func TestStripRoute(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"user@example.test", "user@example.test", true},
		{"@relay.test:user@other.test", "user@other.test", true},
		{"@a.test,@b.test:user@other.test", "user@other.test", true},
		{"@a.test", "", false},
		{"@:user@x.test", "", false},
		{"@a.test,b.test:user@x.test", "", false},
	}
	for _, tt := range tests {
		got, ok := StripRoute(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("StripRoute(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseAddress checks that parsing never panics and that what it
// accepts is stable: the printed address parses to itself, has no
// unquoted second '@', and no control characters.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"user@example.test", `"a@b"@c.test`, "user%x@y", "a!b@c",
		"@a:b@c", "u@[IPv6:::1]", "u@[1.2.3.4]", "postmaster", `"\"`, "δ@ü.test"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(a.String(), "\r\n\x00") {
			t.Fatalf("control characters in %q", a.String())
		}
		if a.IsNull() {
			return
		}
		if !strings.HasPrefix(a.Local, `"`) && strings.Contains(a.Local, "@") {
			t.Fatalf("unquoted @ in local part %q", a.Local)
		}
		b, err := ParseAddress(a.String())
		if err != nil {
			t.Fatalf("re-parse %q (from %q): %v", a.String(), s, err)
		}
		if b != a {
			t.Fatalf("re-parse %q: %+v, want %+v", a.String(), b, a)
		}
	})
}
