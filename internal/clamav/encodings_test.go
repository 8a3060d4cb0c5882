package clamav

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

// Encoders wrap a payload in one layer of a container or encoding.
func encGzip(t *testing.T, d []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(d)
	w.Close()
	return b.Bytes()
}

func encTar(t *testing.T, d []byte) []byte {
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	w.WriteHeader(&tar.Header{Name: "member", Mode: 0o644, Size: int64(len(d)), Typeflag: tar.TypeReg})
	w.Write(d)
	w.Close()
	return b.Bytes()
}

func encZipStored(t *testing.T, d []byte) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.CreateHeader(&zip.FileHeader{Name: "member", Method: zip.Store})
	f.Write(d)
	w.Close()
	return b.Bytes()
}

func encXz(t *testing.T, d []byte) []byte {
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(d)
	w.Close()
	return b.Bytes()
}

// encCpio writes one newc ("070701") member and the trailer.
func encCpio(t *testing.T, d []byte) []byte {
	var b bytes.Buffer
	entry := func(name string, data []byte, mode int) {
		fmt.Fprintf(&b, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
		b.WriteString(name + "\x00")
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.Write(data)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	entry("member", d, 0o100644)
	entry("TRAILER!!!", nil, 0)
	return b.Bytes()
}

func encMailQP(t *testing.T, d []byte) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Binary = true // line breaks in the payload are data
	w.Write(d)
	w.Close()
	return []byte("From: a@example.com\r\nSubject: qp\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		b.String() + "\r\n--B--\r\n")
}

func encMailUU(t *testing.T, d []byte) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: uu\r\n\r\nbegin 644 x.bin\r\n")
	for i := 0; i < len(d); i += 45 {
		line := d[i:min(i+45, len(d))]
		b.WriteByte(byte(32 + len(line)))
		for j := 0; j < len(line); j += 3 {
			var c [3]byte
			copy(c[:], line[j:min(j+3, len(line))])
			for _, v := range []byte{c[0] >> 2, (c[0]&3)<<4 | c[1]>>4, (c[1]&15)<<2 | c[2]>>6, c[2] & 63} {
				if v == 0 {
					b.WriteByte('`')
				} else {
					b.WriteByte(32 + v)
				}
			}
		}
		b.WriteString("\r\n")
	}
	b.WriteString("`\r\nend\r\n")
	return []byte(b.String())
}

func TestEicarEveryEncoding(t *testing.T) {
	encs := []struct {
		name string
		enc  func(*testing.T, []byte) []byte
	}{
		{"gzip", encGzip}, {"tar", encTar}, {"zip-stored", encZipStored},
		{"zip-deflate", func(t *testing.T, d []byte) []byte { return zipOf(t, map[string][]byte{"m": d}) }},
		{"xz", encXz}, {"cpio-newc", encCpio},
		{"mime-base64", func(t *testing.T, d []byte) []byte { return mimeWith("x.bin", d) }},
		{"mime-qp", encMailQP}, {"mail-uuencode", encMailUU},
	}
	e := eicarEngine(t, DefaultOptions())
	for _, a := range encs {
		// Each encoding alone, and each inside each other one.
		r, err := e.ScanBytes(context.Background(), a.enc(t, []byte(eicar)), "")
		if err != nil || !r.Infected {
			t.Errorf("%s: %v %+v", a.name, err, r)
		}
		for _, b := range encs {
			r, err := e.ScanBytes(context.Background(), b.enc(t, a.enc(t, []byte(eicar))), "")
			if err != nil || !r.Infected {
				t.Errorf("%s in %s: %v %+v", a.name, b.name, err, r)
			}
		}
	}
}

// TestRecursionLimitMixed: a chain of different encodings exactly
// MaxRecursion deep is found; one more layer gives the limit verdict.
func TestRecursionLimitMixed(t *testing.T) {
	layers := []func(*testing.T, []byte) []byte{encGzip, encTar, encZipStored, encCpio,
		func(t *testing.T, d []byte) []byte { return mimeWith("x.bin", d) }}
	o := DefaultOptions()
	e := eicarEngine(t, o)
	d := []byte(eicar)
	for i := 0; i < o.MaxRecursion; i++ {
		d = layers[i%len(layers)](t, d)
	}
	if r, err := e.ScanBytes(context.Background(), d, ""); err != nil || !r.Infected {
		t.Fatalf("at the limit: %v %+v", err, r)
	}
	d = encGzip(t, d)
	if r, err := e.ScanBytes(context.Background(), d, ""); err != nil || r.Infected || r.Heuristic != "Heuristics.Limits.Exceeded.MaxRecursion" {
		t.Fatalf("one deeper: %v %+v", err, r)
	}
}
