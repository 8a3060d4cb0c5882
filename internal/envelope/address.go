package envelope

import (
	"errors"
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
)

// # Address syntax
//
// ParseAddress follows RFC 5321 4.1.2 (Mailbox = Local-part "@" ( Domain /
// address-literal )) with RFC 6531 3.3 (UTF-8 allowed in both parts):
//
//   - The local part is a dot-string of atext, or a quoted-string. A quoted
//     local part whose content is itself a valid dot-string is unquoted
//     ("john"@x = john@x); any other quoted content is kept with its quotes,
//     so `"user@other.test"@local` stays visibly quoted for the policy.
//   - An unquoted '@' in the local part is an error: `user@other.test@local`
//     is the double-at relay trick, and there is no right answer to which
//     '@' is meant.
//   - A source route (`@a,@b:user@c`, RFC 5321 4.1.1.3 "SHOULD accept and
//     ignore") is an error here; StripRoute removes it for front ends that
//     want to ignore it.
//   - The domain is a dot-separated list of labels (letters, digits, '-',
//     '_' and UTF-8), or an address literal [192.0.2.1] / [IPv6:2001:db8::1]
//     that must parse as an IP address.
//   - Without '@' only "postmaster" is valid (RFC 5321 4.5.1).
//
// '%' and '!' are valid atext: the percent hack and bang paths parse, and
// the policy package decides what they mean.

// Address syntax errors. Front ends map them to 501/553 replies.
var (
	ErrAddrSyntax  = errors.New("address syntax error")
	ErrAddrTooLong = errors.New("address too long")
)

// RFC 5321 4.5.3.1: local part 64 octets, domain 255, path 256 incl. <>.
const (
	maxLocal  = 64
	maxDomain = 255
	maxPath   = 256
	maxLabel  = 63 // RFC 1035 2.3.4
)

// ParseAddress parses a mailbox as given in MAIL FROM/RCPT TO, without the
// angle brackets ("" yields the null address). See # Address syntax.
func ParseAddress(s string) (Address, error) {
	if s == "" {
		return Address{}, nil
	}
	if len(s) > maxPath-2 {
		return Address{}, ErrAddrTooLong
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return Address{}, ErrAddrSyntax
		}
	}
	if s[0] == '@' {
		return Address{}, ErrAddrSyntax // source route
	}
	local, rest, err := splitLocal(s)
	if err != nil {
		return Address{}, err
	}
	if rest == "" {
		// Unqualified; only "postmaster" (RFC 5321 4.5.1).
		if strings.EqualFold(local, "postmaster") {
			return Address{Local: local}, nil
		}
		return Address{}, ErrAddrSyntax
	}
	domain := rest[1:]
	if len(local) > maxLocal || len(domain) > maxDomain {
		return Address{}, ErrAddrTooLong
	}
	if local == "" || domain == "" {
		return Address{}, ErrAddrSyntax
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return Address{}, err
	}
	return Address{Local: local, Domain: d}, nil
}

// splitLocal returns the local part (unquoted when plain) and the rest,
// which is "" or starts with '@'.
func splitLocal(s string) (local, rest string, err error) {
	if s[0] != '"' {
		at := strings.IndexByte(s, '@')
		if at < 0 {
			at = len(s)
		}
		local, rest = s[:at], s[at:]
		if strings.IndexByte(rest[min(1, len(rest)):], '@') >= 0 || !isDotString(local) {
			return "", "", ErrAddrSyntax
		}
		return local, rest, nil
	}
	var plain strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			if i+1 >= len(s) {
				return "", "", ErrAddrSyntax
			}
			i++
			plain.WriteByte(s[i])
		case c == '"':
			local, rest = s[:i+1], s[i+1:]
			if rest != "" && (rest[0] != '@' || strings.IndexByte(rest[1:], '@') >= 0) {
				return "", "", ErrAddrSyntax
			}
			if p := plain.String(); p != "" && isDotString(p) {
				local = p
			}
			return local, rest, nil
		default:
			plain.WriteByte(c)
		}
	}
	return "", "", ErrAddrSyntax // unterminated quote
}

// isDotString reports whether s is atext separated by dots.
// QUIRK: leading, trailing and doubled dots are accepted, as Postfix does,
// because some real senders (old mobile carriers) use them.
func isDotString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && !isAtext(c) {
			return false
		}
	}
	return true
}

// isAtext: RFC 5322 3.2.3 atext, plus UTF-8 (RFC 6531 3.3).
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// NormalizeDomain lower-cases a domain, strips one trailing dot and converts
// IDNs to their ASCII form. Address literals are checked and kept in a
// canonical form ([192.0.2.1], [IPv6:2001:db8::1]).
func NormalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", ErrAddrSyntax
	}
	if strings.HasPrefix(d, "[") {
		ip, ok := parseLiteral(d)
		if !ok {
			return "", ErrAddrSyntax
		}
		if ip.Is4() {
			return "[" + ip.String() + "]", nil
		}
		return "[IPv6:" + ip.String() + "]", nil
	}
	d = strings.ToLower(d)
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		// Keep going with the lower-cased form: the policy decides.
		a = d
	}
	a = strings.ToLower(a)
	for _, label := range strings.Split(a, ".") {
		if label == "" || len(label) > maxLabel {
			return "", ErrAddrSyntax
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c >= 0x80) {
				return "", ErrAddrSyntax
			}
		}
	}
	return a, nil
}

// parseLiteral parses an RFC 5321 4.1.3 address literal.
func parseLiteral(d string) (netip.Addr, bool) {
	if len(d) < 3 || d[0] != '[' || d[len(d)-1] != ']' {
		return netip.Addr{}, false
	}
	in := d[1 : len(d)-1]
	if len(in) > 5 && strings.EqualFold(in[:5], "IPv6:") {
		ip, err := netip.ParseAddr(in[5:])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return netip.Addr{}, false
		}
		return ip, true
	}
	ip, err := netip.ParseAddr(in)
	if err != nil || !ip.Is4() {
		return netip.Addr{}, false
	}
	return ip, true
}

// Literal returns the IP address of an address-literal domain
// (user@[192.0.2.1]); ok is false for a domain name.
func (a Address) Literal() (ip netip.Addr, ok bool) {
	return parseLiteral(a.Domain)
}

// StripRoute removes an RFC 5321 4.1.1.3 source route ("@a,@b:user@c" ->
// "user@c"); ok is false if s has a malformed route.
func StripRoute(s string) (rest string, ok bool) {
	if !strings.HasPrefix(s, "@") {
		return s, true
	}
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return "", false
	}
	for _, hop := range strings.Split(s[:colon], ",") {
		if len(hop) < 2 || hop[0] != '@' {
			return "", false
		}
		if _, err := NormalizeDomain(hop[1:]); err != nil {
			return "", false
		}
	}
	return s[colon+1:], true
}
