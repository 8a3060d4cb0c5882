package envelope

import (
	"errors"
	"strings"

	"golang.org/x/net/idna"
)

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
)

// ParseAddress parses a mailbox as given in MAIL FROM/RCPT TO, without the
// angle brackets ("" yields the null address). Quoted local parts are
// unquoted when the result is plain; source routes are rejected here (the
// policy package decides about the relay tricks).
func ParseAddress(s string) (Address, error) {
	if s == "" {
		return Address{}, nil
	}
	if len(s) > maxPath {
		return Address{}, ErrAddrTooLong
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return Address{}, ErrAddrSyntax
		}
	}
	if strings.HasPrefix(s, "@") {
		return Address{}, ErrAddrSyntax // source route
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		// Unqualified; accepted as "postmaster" only (RFC 5321 4.1.1.3).
		if strings.EqualFold(s, "postmaster") {
			return Address{Local: s}, nil
		}
		return Address{}, ErrAddrSyntax
	}
	local, domain := s[:at], s[at+1:]
	if local == "" || domain == "" || len(local) > maxLocal || len(domain) > maxDomain {
		if len(local) > maxLocal || len(domain) > maxDomain {
			return Address{}, ErrAddrTooLong
		}
		return Address{}, ErrAddrSyntax
	}
	if strings.HasPrefix(local, `"`) {
		if len(local) < 2 || !strings.HasSuffix(local, `"`) {
			return Address{}, ErrAddrSyntax
		}
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return Address{}, err
	}
	return Address{Local: local, Domain: d}, nil
}

// NormalizeDomain lower-cases a domain, strips one trailing dot and converts
// IDNs to their ASCII form. Address literals ([192.0.2.1]) are kept.
func NormalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", ErrAddrSyntax
	}
	if strings.HasPrefix(d, "[") {
		if !strings.HasSuffix(d, "]") {
			return "", ErrAddrSyntax
		}
		return strings.ToLower(d), nil
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		// Keep going with the lower-cased form: the policy decides.
		a = d
	}
	a = strings.ToLower(a)
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c >= 0x80) {
			return "", ErrAddrSyntax
		}
	}
	return a, nil
}
