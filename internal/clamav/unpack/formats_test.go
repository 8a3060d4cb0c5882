package unpack

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var payload = []byte("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")

// newc builds a one-member newc cpio archive.
func newc(name string, data []byte) []byte {
	var b bytes.Buffer
	hdr := func(n string, d []byte, mode int) {
		fmt.Fprintf(&b, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			1, mode, 0, 0, 1, 0, len(d), 0, 0, 0, 0, len(n)+1, 0)
		b.WriteString(n + "\x00")
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.Write(d)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	hdr(name, data, 0o100644)
	hdr("TRAILER!!!", nil, 0)
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(payload)
	mail := "From: a@b\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n" +
		"--XX\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nhello=3D=\r\nworld\r\n" +
		"--XX\r\nContent-Type: application/octet-stream; name=\"e.com\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--XX--\r\n"
	tests := []struct {
		name string
		kind Kind
		data []byte
		want string // a member whose data equals this
	}{
		{"zip stored", KindZip, makeZip(t, 0, file{"e", payload}), string(payload)},
		{"zip deflate", KindZip, makeZip(t, 8, file{"e", payload}), string(payload)},
		{"tar", KindTar, makeTar(t, file{"e", payload}), string(payload)},
		{"gzip", KindGzip, makeGzip(t, payload), string(payload)},
		{"cpio newc", KindCpio, newc("e", payload), string(payload)},
		{"mail base64", KindMail, []byte(mail), string(payload)},
		{"mail qp", KindMail, []byte(mail), "hello=world\r\n"},
		{"html data uri", KindHTML, []byte(`<a href="data:application/x;base64,` + b64 + `">x</a>`), string(payload)},
		{"pdf ascii hex", KindPDF, []byte("1 0 obj\n<< /Filter /ASCIIHexDecode >>\nstream\n" + fmt.Sprintf("%x", payload) + ">\nendstream\nendobj\n"), string(payload)},
		{"rtf objdata raw", KindRTF, []byte(`{\rtf1{\object{\*\objdata ` + fmt.Sprintf("%x", payload) + `}}}`), string(payload)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collect(t, tt.kind, tt.data, bigBudget())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range got {
				if string(e.Data) == tt.want {
					return
				}
			}
			t.Fatalf("no member equal to %q among %d", tt.want, len(got))
		})
	}
}

// TestInflateMatchesFlate checks the deflate64 decoder in plain mode
// against compress/flate on data with long and short matches.
func TestInflateMatchesFlate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 300<<10)
	for i := range data {
		if i > 1000 && rng.IntN(4) != 0 {
			data[i] = data[i-1-rng.IntN(1000)]
		} else {
			data[i] = byte(rng.IntN(16))
		}
	}
	for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.BestCompression, flate.HuffmanOnly} {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, level)
		w.Write(data)
		w.Close()
		var out bytes.Buffer
		if _, err := out.ReadFrom(newInflater(&buf, false)); err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("level %d: output differs", level)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		head string
		want Kind
	}{
		{"PK\x03\x04rest", KindZip},
		{"\x1f\x8b\x08", KindGzip},
		{"BZh91AY", KindBzip2},
		{"\xfd7zXZ\x00\x00", KindXz},
		{"7z\xbc\xaf\x27\x1c", Kind7z},
		{"Rar!\x1a\x07\x00", KindRar},
		{"070701000", KindCpio},
		{"MSCF\x00\x00\x00\x00", KindCab},
		{"{\\rtf1\\ansi", KindRTF},
		{"%PDF-1.4\n", KindPDF},
		{"From x@y Mon\nSubject: hi\n\nbody", KindMail},
		{"Received: from x\r\nFrom: a@b\r\n\r\n", KindMail},
		{"<html><body>", KindHTML},
		{"hello\nbegin 644 x.exe\nM\nend\n", KindUU},
		{"just some text", KindNone},
		{"MZ\x90\x00", KindNone},
		{"MZ" + strings.Repeat("\x00", 0x3a) + "\x40\x00\x00\x00PE\x00\x00", KindPE},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.head), ""); got != tt.want {
			t.Errorf("Detect(%q) = %q, want %q", tt.head, got, tt.want)
		}
	}
	if got := Detect(makeTar(t, file{"a", []byte("a")}), "x.tar"); got != KindTar {
		t.Errorf("tar: %q", got)
	}
	if got := Detect([]byte("just text"), "note.EML"); got != KindMail {
		t.Errorf("name hint: %q", got)
	}
}

// TestCorruptInputs truncates and flips bytes in every sample and built
// archive: Extract must return (an error or not), never panic or hang.
func TestCorruptInputs(t *testing.T) {
	samples := seedCorpus(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for name, data := range samples {
		kind := Detect(data, name)
		if kind == KindNone {
			continue
		}
		for i := range 24 {
			d := bytes.Clone(data)
			switch i % 3 {
			case 0:
				d = d[:rng.IntN(len(d)+1)]
			default:
				for range 1 + rng.IntN(8) {
					d[rng.IntN(len(d))] ^= byte(1 + rng.IntN(255))
				}
			}
			fuzzOne(t, kind, d)
		}
	}
}

// seedCorpus returns the clamav-testfiles container samples (when
// installed) and archives built here.
func seedCorpus(t testing.TB) map[string][]byte {
	t.Helper()
	m := map[string][]byte{
		"b.zip":    makeZip(t, 8, file{"e", payload}),
		"b.tar":    makeTar(t, file{"e", payload}),
		"b.gz":     makeGzip(t, payload),
		"b.cpio":   newc("e", payload),
		"b.mail":   []byte("From: a\nSubject: b\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Transfer-Encoding: base64\n\nYWJj\n--z--\n"),
		"b.pdf":    []byte("%PDF-1.1\n1 0 obj<</Filter[/AHx/Fl]>>stream\n789c>endstream"),
		"b.html":   []byte("<html><img src=data:,abc%41>"),
		"b.uu":     []byte("begin 644 a\n#86)C\n`\nend\n"),
		"b.binhex": []byte("(This file must be converted with BinHex 4.0)\n:!!!:"),
	}
	paths, _ := filepath.Glob(filepath.Join(testfilesDir, "clam*"))
	for _, p := range paths {
		if d, err := os.ReadFile(p); err == nil && len(d) < 64<<10 {
			m[filepath.Base(p)] = d
		}
	}
	return m
}

// TestVBADecompress decodes a hand-made chunk: literals a, b, c then a
// copy token at n=3 (4 offset bits: offset-1=2, length-3=3 -> 0x2003).
func TestVBADecompress(t *testing.T) {
	chunk := []byte{0x08, 'a', 'b', 'c', 0x03, 0x20}
	in := append([]byte{0x01}, 0, 0)
	binary.LittleEndian.PutUint16(in[1:], uint16(len(chunk)+2-3)|0xb000)
	in = append(in, chunk...)
	out, err := vbaDecompress(in, 1<<20)
	if err != nil || string(out) != "abcabcabc" {
		t.Fatalf("got %q, %v", out, err)
	}
	// Truncated and garbage containers end without panic.
	for i := range in {
		vbaDecompress(in[:i], 1<<20)
	}
}
