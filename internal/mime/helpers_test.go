package mime

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// parseString parses s with default limits.
func parseString(t testing.TB, s string) *Message {
	t.Helper()
	m, err := Parse(strings.NewReader(s), int64(len(s)), Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// shape renders the part tree as "type[child,child]".
func shape(p *Part) string {
	if len(p.Children) == 0 {
		return p.MediaType
	}
	var kids []string
	for _, c := range p.Children {
		kids = append(kids, shape(c))
	}
	return fmt.Sprintf("%s[%s]", p.MediaType, strings.Join(kids, ","))
}

func readAll(t testing.TB, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

// crlf turns LF line breaks into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
