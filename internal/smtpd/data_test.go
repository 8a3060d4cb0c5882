package smtpd

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"mailwall/internal/smtp"
)

func TestLineEndings(t *testing.T) {
	tests := []struct {
		in, norm string
		bad      bool
	}{
		{"a\r\nb\r\n", "a\r\nb\r\n", false},
		{"a\nb\r\n", "a\r\nb\r\n", true},
		{"a\r\n.\nMAIL FROM:<x>\r\n", "a\r\n.\r\nMAIL FROM:<x>\r\n", true},
		{"a\rb\r\n", "a\r\nb\r\n", true},
		{"a\r\n\r.\r\n", "a\r\n\r\n.\r\n", true},
		{"a\r\n.\r", "a\r\n.\r\n", true},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := io.ReadAll(newLineEndings(iotest.OneByteReader(strings.NewReader(tt.in)), false, nil))
		if string(got) != tt.in {
			t.Errorf("check mode changed %q to %q", tt.in, got)
		}
		if isBare := errors.Is(err, smtp.ErrBareLF); isBare != tt.bad || (!tt.bad && err != nil) {
			t.Errorf("check %q: err = %v, want bad=%v", tt.in, err, tt.bad)
		}
		got, err = io.ReadAll(newLineEndings(strings.NewReader(tt.in), true, nil))
		if err != nil || string(got) != tt.norm {
			t.Errorf("normalize %q = %q, %v; want %q", tt.in, got, err, tt.norm)
		}
	}
}

func TestHiddenCR(t *testing.T) {
	for in, want := range map[string]bool{
		"a\r\n.\rMAIL": true, "a\r\n.\r\n": false, "a\r\n..\r\n": false, "\r\n.\r": false, "x\r\n.\r\x00": true,
	} {
		var h hiddenCR
		for i := range in { // byte by byte: state carries across reads
			h.scan([]byte{in[i]})
		}
		if h.found != want {
			t.Errorf("%q: found = %v, want %v", in, h.found, want)
		}
	}
}
