package unpack

import (
	"bytes"
	"context"
	"net/url"
)

// # HTML embedded data
//
// RFC 2397 data: URIs anywhere in the document (href, src, CSS url(),
// object data) are decoded and emitted: base64 when the media type part
// ends in ";base64", percent-encoding otherwise. The URI ends at the first
// quote, whitespace, ')' or '>'. Script blobs and the page text itself are
// left to the engine's HTML normalisation.
func extractHTML(ctx context.Context, data []byte, x *run) error {
	// "data:" holds no letter that a non-ASCII character lower-cases to,
	// so ASCII folding in place finds what a lower-cased copy would.
	for off := 0; ; {
		i := indexFold(data[off:], "data:")
		if i < 0 {
			return nil
		}
		start := off + i + len("data:")
		end := start
		for end < len(data) && !dataURIEnd[data[end]] {
			end++
		}
		off = end
		meta, payload, ok := bytes.Cut(data[start:end], []byte(","))
		if !ok {
			continue
		}
		var out []byte
		if len(meta) >= len(";base64") && hasPrefixFold(meta[len(meta)-len(";base64"):], ";base64") {
			out = decodeBase64Lenient(payload)
		} else if s, err := url.PathUnescape(string(payload)); err == nil {
			out = []byte(s)
		} else {
			out = payload
		}
		if err := x.putRaw(ctx, "", out); err != nil {
			return err
		}
	}
}

// dataURIEnd marks the bytes that end a data: URI.
var dataURIEnd = [256]bool{'"': true, '\'': true, ' ': true, '\t': true, '\r': true, '\n': true, ')': true, '>': true}
