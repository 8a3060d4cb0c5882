package mime

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestDecoders(t *testing.T) {
	tests := []struct{ name, enc, body, want string }{
		{"base64 lines", "base64", "aGVs\r\nbG8=\r\n", "hello"},
		{"base64 garbage skipped", "base64", "aGVs*!bG8\n", "hello"},
		{"base64 concatenated", "base64", "aGk=aGk=", "hihi"},
		{"base64 no padding", "base64", "aGVsbG8", "hello"},
		{"Base64 upper-case name", "BASE64", "aGk=", "hi"},
		{"qp escapes", "quoted-printable", "a=3Db=\r\nc\r\n", "a=bc\r\n"},
		{"qp lower-case hex", "quoted-printable", "caf=c3=a9", "café"},
		{"qp bad escape kept", "quoted-printable", "100=%\n", "100=%\n"},
		{"qp trailing space dropped", "quoted-printable", "a  \nb", "a\nb"},
		{"qp soft break with space", "quoted-printable", "a= \nb", "ab"},
		{"uuencode", "x-uuencode", "junk\nbegin 600 f\n&:&5L;&\\*\n`\nend\ntrailer\n", "hello\n"},
		{"uuencode without begin", "x-uue", "&:&5L;&\\*\n", ""},
		{"7bit as is", "7bit", "a=3D", "a=3D"},
		{"unknown as is", "x-weird", "abc", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseString(t, "Content-Type: application/octet-stream\nContent-Transfer-Encoding: "+tt.enc+"\n\n"+tt.body)
			if got := readAll(t, m.Root.Open()); got != tt.want {
				t.Errorf("Open = %q, want %q", got, tt.want)
			}
			if got := readAll(t, m.Root.Raw()); got != tt.body {
				t.Errorf("Raw = %q, want %q", got, tt.body)
			}
		})
	}
}

// TestDecodersSmallReads reads with a one-byte buffer.
func TestDecodersSmallReads(t *testing.T) {
	body := strings.Repeat("aGVsbG8gd29ybGQ=\n", 50)
	m := parseString(t, "Content-Transfer-Encoding: base64\n\n"+body)
	r := m.Root.Open()
	var got []byte
	buf := make([]byte, 1)
	for range 10000 {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
	}
	if string(got) != strings.Repeat("hello world", 50) {
		t.Errorf("got %q", got)
	}
}

type failingReaderAt struct{ after int64 }

func (f failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.after {
		return 0, errors.New("disk on fire")
	}
	n := min(int64(len(p)), f.after-off)
	for i := range p[:n] {
		p[i] = 'a'
	}
	return int(n), nil
}

func TestParseIOError(t *testing.T) {
	_, err := Parse(failingReaderAt{after: 100}, 1<<20, Limits{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v, want the read error", err)
	}
}
