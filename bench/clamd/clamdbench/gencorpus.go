package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var words = strings.Fields(`the quarterly report meeting invoice attached please review budget
project deadline customer order shipping account password update security team office schedule
thanks regards hello friday monday contract draft final version data analysis results summary`)

// genCorpus writes n deterministic RFC 5322 messages (text, HTML,
// base64 attachments of binary data, zipped text and PDF-like text; 2%
// carry EICAR, plain or zipped) and list.txt naming them.
func genCorpus(args []string) error {
	fs := flag.NewFlagSet("gencorpus", flag.ExitOnError)
	out := fs.String("out", "", "output directory")
	n := fs.Int("n", 1000, "messages")
	seed := fs.Uint64("seed", 42, "random seed")
	fs.Parse(args)
	if *out == "" {
		return fmt.Errorf("gencorpus: -out is required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*seed, *seed))
	text := func(size int) string {
		var b strings.Builder
		for b.Len() < size {
			b.WriteString(words[r.IntN(len(words))])
			if r.IntN(12) == 0 {
				b.WriteString(".\r\n")
			} else {
				b.WriteByte(' ')
			}
		}
		return b.String()
	}
	var list []string
	var total int64
	infected := 0
	for i := range *n {
		var parts []string
		parts = append(parts, part("text/plain; charset=us-ascii", "7bit", text(2000+r.IntN(28000))))
		switch k := r.IntN(100); {
		case k < 2:
			infected++
			data := []byte(eicar)
			if k == 1 {
				data = zipOf("eicar.com", data)
			}
			parts = append(parts, attach("application/octet-stream", "file.bin", data))
		case k < 40:
		case k < 60:
			parts = append(parts, part("text/html; charset=us-ascii", "7bit", "<html><body><p>"+text(3000+r.IntN(20000))+"</p></body></html>"))
		case k < 75:
			b := make([]byte, 20_000+r.IntN(280_000))
			for j := range b {
				b[j] = byte(r.Uint32())
			}
			parts = append(parts, attach("image/jpeg", "photo.jpg", b))
		case k < 90:
			parts = append(parts, attach("application/zip", "docs.zip", zipOf("doc.txt", []byte(text(10_000+r.IntN(90_000))))))
		default:
			parts = append(parts, attach("application/pdf", "doc.pdf", []byte("%PDF-1.4\n"+text(5000+r.IntN(50_000)))))
		}
		msg := fmt.Sprintf("From: sender%d@example.org\r\nTo: rcpt@example.net\r\nSubject: %s\r\n"+
			"Message-ID: <%d@bench.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=b%d\"\r\n\r\n",
			i, text(40), i, i)
		for _, p := range parts {
			msg += fmt.Sprintf("--=b%d\r\n%s\r\n", i, p)
		}
		msg += fmt.Sprintf("--=b%d--\r\n", i)
		p := filepath.Join(*out, fmt.Sprintf("%05d.eml", i))
		if err := os.WriteFile(p, []byte(msg), 0o644); err != nil {
			return err
		}
		list = append(list, p)
		total += int64(len(msg))
	}
	if err := os.WriteFile(filepath.Join(*out, "list.txt"), []byte(strings.Join(list, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("messages=%d bytes=%d infected=%d\n", len(list), total, infected)
	return nil
}

func part(ctype, cte, body string) string {
	return fmt.Sprintf("Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n%s\r\n", ctype, cte, body)
}

func attach(ctype, name string, data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return fmt.Sprintf("Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n%s\r\n", ctype, name, name, b.String())
}

func zipOf(name string, data []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(name)
	w.Write(data)
	zw.Close()
	return buf.Bytes()
}
