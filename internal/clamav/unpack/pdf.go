package unpack

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/ascii85"
	"fmt"
	"github.com/klauspost/compress/flate"
	"io"
	"regexp"
)

// # PDF streams
//
// ISO 32000-1 7.3.8: every "stream" keyword after an object's dictionary
// starts data that ends at "endstream" (found by search: /Length is often
// indirect or wrong in hostile files). The /Filter entry (a name or an
// array, abbreviations of 7.4 and inline images included) is applied in
// order: FlateDecode (zlib, or raw deflate when the zlib header is
// missing), ASCIIHexDecode, ASCII85Decode, LZWDecode (early change 1) and
// RunLengthDecode. Each stream is one member named "obj N"; a filter we do
// not know, or one that fails, leaves the bytes decoded so far.
// QUIRK: predictors (/DecodeParms) are not undone; the engine still sees
// the inflated bytes.

// pdfFilterRe takes the names after /Filter, array or single name.
var (
	pdfFilterRe = regexp.MustCompile(`/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)`)
	pdfNameRe   = regexp.MustCompile(`/([A-Za-z0-9]+)`)
	pdfObjRe    = regexp.MustCompile(`(\d+)\s+\d+\s+obj`)
)

// pdfDictWindow is how far back from "stream" the dictionary is looked for.
const pdfDictWindow = 4096

func extractPDF(ctx context.Context, data []byte, x *run) error {
	for off := 0; ; {
		if err := x.check(ctx); err != nil {
			return err
		}
		i := bytes.Index(data[off:], []byte("stream"))
		if i < 0 {
			return nil
		}
		kw := off + i
		off = kw + len("stream")
		if kw >= 3 && string(data[kw-3:kw]) == "end" {
			continue
		}
		start := off
		if start < len(data) && data[start] == '\r' {
			start++
		}
		if start < len(data) && data[start] == '\n' {
			start++
		}
		end := bytes.Index(data[start:], []byte("endstream"))
		if end < 0 {
			end = len(data) - start
		}
		off = start + end
		raw := bytes.TrimRight(data[start:start+end], "\r\n")
		dict := data[max(0, kw-pdfDictWindow):kw]
		if j := bytes.LastIndex(dict, []byte("obj")); j >= 0 {
			dict = dict[j:]
		}
		name := "stream"
		if m := pdfObjRe.FindAllSubmatch(data[max(0, kw-pdfDictWindow):kw], -1); len(m) > 0 {
			name = "obj " + string(m[len(m)-1][1])
		}
		out, err := x.pdfDecode(ctx, raw, pdfFilters(dict))
		if err := x.putPartial(ctx, name, out, err); err != nil {
			return err
		}
	}
}

func pdfFilters(dict []byte) []string {
	m := pdfFilterRe.FindSubmatch(dict)
	if m == nil {
		return nil
	}
	var names []string
	for _, n := range pdfNameRe.FindAllSubmatch(m[1], -1) {
		names = append(names, string(n[1]))
	}
	return names
}

func (x *run) pdfDecode(ctx context.Context, b []byte, filters []string) ([]byte, error) {
	if len(filters) == 0 {
		return b, x.grow(int64(len(b)))
	}
	for _, f := range filters {
		var r io.Reader
		switch f {
		case "FlateDecode", "Fl":
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				r = flate.NewReader(bytes.NewReader(b))
			} else {
				r = zr
			}
		case "ASCIIHexDecode", "AHx":
			r = bytes.NewReader(decodeHexLenient(b, '>'))
		case "ASCII85Decode", "A85":
			b = bytes.TrimPrefix(bytes.TrimSpace(b), []byte("<~"))
			if k := bytes.Index(b, []byte("~>")); k >= 0 {
				b = b[:k]
			}
			r = ascii85.NewDecoder(bytes.NewReader(b))
		case "LZWDecode", "LZW":
			r = newLZW(b)
		case "RunLengthDecode", "RL":
			r = bytes.NewReader(runLengthDecode(b, x.fileCap()))
		default:
			return b, fmt.Errorf("pdf filter %s unsupported", f)
		}
		out, err := x.read(ctx, r, -1)
		if err != nil {
			return out, err
		}
		b = out
	}
	return b, nil
}

// runLengthDecode is 7.4.5: length byte n<128 copies n+1 bytes, n>128
// repeats the next byte 257-n times, 128 ends the data.
func runLengthDecode(in []byte, limit int64) []byte {
	var out []byte
	for i := 0; i < len(in) && int64(len(out)) <= limit; {
		n := int(in[i])
		i++
		switch {
		case n < 128:
			end := min(i+n+1, len(in))
			out = append(out, in[i:end]...)
			i = end
		case n > 128 && i < len(in):
			for range 257 - n {
				out = append(out, in[i])
			}
			i++
		default:
			return out
		}
	}
	return out
}
