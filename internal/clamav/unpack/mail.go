package unpack

import (
	"bytes"
	"context"
	"mime"
	"strings"
)

// # Mail and mbox
//
// A small streaming-free parser over the bytes in memory (RFC 5322, MIME RFC
// 2045/2046): an mbox is split at "From " lines that follow a blank line;
// each message's header is unfolded; multipart bodies are split at their
// boundary (RFC 2046 5.1.1) and walked up to mailMaxDepth; every leaf part
// is decoded per Content-Transfer-Encoding (base64, quoted-printable,
// x-uuencode; anything else as is) and emitted, named from the filename or
// name parameter. uuencoded blocks inside text parts are emitted too.
// message/rfc822 parts are emitted undecoded for the caller to recurse.
// QUIRK: the parser is lenient the way mail clients are: missing final
// boundaries, junk in base64 and unknown encodings still yield parts, so the
// scanner sees at least what a client would show.

const mailMaxDepth = 16

func extractMail(ctx context.Context, data []byte, x *run) error {
	for _, msg := range splitMbox(data) {
		if err := x.mailPart(ctx, msg, 0); err != nil {
			return err
		}
	}
	return nil
}

// splitMbox cuts data at every "From " line that starts the input or
// follows a blank line.
func splitMbox(data []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		next := i + j + 1
		if bytes.HasPrefix(data[next:], []byte("From ")) && (next >= 2 && data[next-2] == '\n' || next >= 3 && string(data[next-3:next]) == "\n\r\n") {
			out = append(out, data[start:next])
			start = next
		}
		i = next
	}
	return append(out, data[start:])
}

// splitHeader returns the unfolded header fields (lower-cased names) and the body.
func splitHeader(msg []byte) (map[string]string, []byte) {
	h := map[string]string{}
	var last string
	rest := msg
	if bytes.HasPrefix(rest, []byte("From ")) { // mbox separator line
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			rest = rest[i+1:]
		}
	}
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			line = rest[:i]
			rest = rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return h, rest
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			h[last] += " " + string(bytes.TrimSpace(line))
			continue
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		last = strings.ToLower(string(bytes.TrimSpace(k)))
		if _, dup := h[last]; !dup { // QUIRK: first occurrence wins, like most clients
			h[last] = string(bytes.TrimSpace(v))
		}
	}
	return h, rest
}

func (x *run) mailPart(ctx context.Context, part []byte, depth int) error {
	if err := x.check(ctx); err != nil {
		return err
	}
	h, body := splitHeader(part)
	ctype, params := parseMediaType(h["content-type"])
	_, dparams := parseMediaType(h["content-disposition"])
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if strings.HasPrefix(ctype, "multipart/") && params["boundary"] != "" && depth < mailMaxDepth {
		for _, p := range splitMultipart(body, params["boundary"]) {
			if err := x.mailPart(ctx, p, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	var decoded []byte
	if cte := strings.ToLower(strings.TrimSpace(h["content-transfer-encoding"])); cte == "base64" {
		// The most common encoding of attachments: into a recycled
		// buffer when the caller allows it.
		bp := x.buffer(len(body))
		if bp != nil {
			decoded = decodeBase64Into(*bp, body)
			defer func() { x.release(bp, decoded) }()
		} else {
			decoded = decodeBase64Lenient(body)
		}
	} else {
		decoded = decodeTransfer(cte, body)
	}
	if err := x.putRaw(ctx, name, decoded); err != nil {
		return err
	}
	if strings.HasPrefix(ctype, "text/") || ctype == "" {
		return x.uuBlocks(ctx, decoded)
	}
	return nil
}

func parseMediaType(v string) (string, map[string]string) {
	if v == "" {
		return "", map[string]string{}
	}
	t, p, err := mime.ParseMediaType(v)
	if err != nil { // QUIRK: keep the type even if a parameter is malformed
		t, _, _ = strings.Cut(v, ";")
		p = map[string]string{}
		if i := strings.Index(asciiLower(v), "boundary="); i >= 0 {
			if f := strings.Fields(v[i+9:]); len(f) > 0 {
				p["boundary"] = strings.Trim(f[0], "\";")
			}
		}
	}
	return strings.ToLower(strings.TrimSpace(t)), p
}

// splitMultipart returns the parts between "--boundary" lines; the preamble
// and epilogue are dropped, a missing close delimiter is tolerated.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	for off := 0; off < len(body); {
		end := bytes.IndexByte(body[off:], '\n')
		lineEnd := len(body)
		if end >= 0 {
			lineEnd = off + end + 1
		}
		line := bytes.TrimRight(body[off:lineEnd], "\r\n \t")
		if bytes.HasPrefix(line, delim) {
			if start >= 0 {
				parts = append(parts, body[start:off])
			}
			start = lineEnd
			if bytes.Equal(line, append(delim, '-', '-')) {
				return parts
			}
		}
		off = lineEnd
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// decodeTransfer decodes a body per its Content-Transfer-Encoding.
func decodeTransfer(cte string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return decodeBase64Lenient(body)
	case "quoted-printable":
		return decodeQP(body)
	case "x-uuencode", "uuencode", "x-uue", "uue":
		if i := findUUBegin(body); i >= 0 {
			out, _, _ := decodeUU(body[i:])
			return out
		}
	}
	return body
}

// asciiLower lower-cases ASCII letters only, keeping byte offsets valid.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
