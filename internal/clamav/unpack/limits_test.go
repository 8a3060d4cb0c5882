package unpack

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"
)

func limitName(err error) string {
	var le *LimitError
	if errors.As(err, &le) {
		return le.Limit
	}
	return ""
}

func TestLimits(t *testing.T) {
	zeros := make([]byte, 8<<20)
	gz := makeGzip(t, zeros)
	manyFiles := make([]file, 20)
	for i := range manyFiles {
		manyFiles[i] = file{fmt.Sprintf("f%d", i), []byte("x")}
	}
	tests := []struct {
		name   string
		kind   Kind
		data   []byte
		budget *Budget
		want   string
	}{
		{"file size gzip", KindGzip, gz, NewBudget(1<<20, 0, 0, 0, time.Time{}), "MaxFileSize"},
		{"file size zip declared", KindZip, makeZip(t, 8, file{"z", zeros}), NewBudget(1<<20, 0, 0, 0, time.Time{}), "MaxFileSize"},
		{"ratio gzip", KindGzip, gz, NewBudget(0, 0, 0, 100, time.Time{}), "MaxRatio"},
		{"scan size", KindGzip, gz, NewBudget(0, 4<<20, 0, 0, time.Time{}), "MaxScanSize"},
		{"files tar", KindTar, makeTar(t, manyFiles...), NewBudget(0, 0, 5, 0, time.Time{}), "MaxFiles"},
		{"deadline", KindGzip, gz, NewBudget(0, 0, 0, 0, time.Now().Add(-time.Second)), "MaxScanTime"},
		{"overlapping zip", KindZip, overlapZip(t, makeZip(t, 8, file{"z", zeros}), 1000), bigBudget(), "MaxRatio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collect(t, tt.kind, tt.data, tt.budget)
			if !errors.Is(err, ErrLimit) || limitName(err) != tt.want {
				t.Fatalf("err = %v, want limit %s", err, tt.want)
			}
		})
	}
}

func TestMaxFilesEmitsExactly(t *testing.T) {
	files := make([]file, 20)
	for i := range files {
		files[i] = file{fmt.Sprintf("f%d", i), []byte("x")}
	}
	got, err := collect(t, KindTar, makeTar(t, files...), NewBudget(0, 0, 5, 0, time.Time{}))
	if len(got) != 5 || limitName(err) != "MaxFiles" {
		t.Fatalf("got %d members, err %v; want 5 and MaxFiles", len(got), err)
	}
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Extract(ctx, KindTar, makeTar(t, file{"a", []byte("a")}), bigBudget(), func(Entry) error { return nil })
	if limitName(err) != "MaxScanTime" {
		t.Fatalf("err = %v, want MaxScanTime", err)
	}
}

// TestNestedZipBomb walks a 42.zip-style bomb (16 members per level, four
// levels, 4 MiB of zeros at the bottom: 256 GiB if fully expanded) the way
// the engine does and checks it stops on the scan budget.
func TestNestedZipBomb(t *testing.T) {
	level := makeZip(t, 8, file{"zeros", make([]byte, 4<<20)})
	for range 4 {
		var fs []file
		for i := range 16 {
			fs = append(fs, file{fmt.Sprintf("%d.zip", i), level})
		}
		level = makeZip(t, 8, fs...)
	}
	b := NewBudget(16<<20, 64<<20, 10000, 1000, time.Now().Add(time.Minute))
	var walk func(data []byte, depth int) error
	walk = func(data []byte, depth int) error {
		k := Detect(data, "")
		if k == KindNone || depth > 17 {
			return nil
		}
		return Extract(context.Background(), k, data, b, func(e Entry) error { return walk(e.Data, depth+1) })
	}
	err := walk(level, 0)
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want a limit", err)
	}
	if b.Scanned() > 64<<20+4<<20 {
		t.Fatalf("scanned %d bytes past the budget", b.Scanned())
	}
}

func TestLimitErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &LimitError{Limit: "MaxFiles"})
	if !errors.Is(err, ErrLimit) {
		t.Fatal("LimitError does not match ErrLimit")
	}
	if (&LimitError{Limit: "MaxFiles"}).Error() == "" {
		t.Fatal("empty message")
	}
}

func TestEncryptedZipMember(t *testing.T) {
	var buf bytes.Buffer
	data := makeZip(t, 0, file{"secret", []byte("hidden")})
	// Set general purpose bit 0 in the local and central headers.
	buf.Write(data)
	b := buf.Bytes()
	for _, sig := range []string{"PK\x03\x04", "PK\x01\x02"} {
		i := bytes.Index(b, []byte(sig))
		off := 6
		if sig == "PK\x01\x02" {
			off = 8
		}
		b[i+off] |= 1
	}
	got, err := collect(t, KindZip, b, bigBudget())
	if err != nil || len(got) != 1 || !got[0].Encrypted || got[0].Data != nil {
		t.Fatalf("got %+v, %v; want one encrypted member", got, err)
	}
}

// TestEICARThroughEncodings walks nested containers the way the engine
// does and checks the payload surfaces: zip in zip in tar.gz, a MIME
// attachment, uuencode in mail, a data: URI inside a zip.
func TestEICARThroughEncodings(t *testing.T) {
	inner := makeZip(t, 8, file{"eicar.com", payload})
	tgz := makeGzip(t, makeTar(t, file{"outer.zip", makeZip(t, 8, file{"inner.zip", inner})}))
	b64 := base64.StdEncoding.EncodeToString(payload)
	mime := []byte("From: a@b\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" +
		"Content-Type: application/zip\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString(inner) + "\n--b--\n")
	html := makeZip(t, 8, file{"x.html", []byte(`<html><a href="data:;base64,` + b64 + `">`)})
	for name, data := range map[string][]byte{"tgz": tgz, "mime": mime, "html-in-zip": html} {
		if !walkFinds(t, data, payload, 0) {
			t.Errorf("%s: payload not reached", name)
		}
	}
}

func walkFinds(t *testing.T, data, want []byte, depth int) bool {
	t.Helper()
	if bytes.Equal(data, want) {
		return true
	}
	k := Detect(data, "")
	if k == KindNone || depth > 17 {
		return false
	}
	found := false
	Extract(context.Background(), k, data, bigBudget(), func(e Entry) error {
		found = found || walkFinds(t, e.Data, want, depth+1)
		return nil
	})
	return found
}
