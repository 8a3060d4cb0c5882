package mime

import (
	"strings"
	"unicode/utf8"
)

// # Encoded words (RFC 2047)
//
//	=?charset?B?base64?=   =?charset?Q?quoted_printable?=
//
// Charset may carry an RFC 2231 language suffix ("utf-8*en"). White space
// between two encoded words is dropped (RFC 2047 6.2). Adjacent words in
// the same charset are joined as bytes before charset conversion, because
// senders split multi-byte characters (EUC-KR, ISO-2022-JP escape
// sequences) across words.
//
// QUIRK: senders break the rules, and clients decode anyway: encoded words
// glued to text ("Re:=?utf-8?q?x?="), inside quoted strings, B text without
// padding, lower-case "b"/"q", and raw 8-bit bytes. All are decoded here.

// maxWordBytes bounds the encoded text of one word we try to decode; RFC 2047
// 2 says 75 characters, real mail goes beyond that but not this far.
const maxWordBytes = 16 << 10

// decodeValue decodes a raw field value, without allocating when there is
// nothing to decode.
// Raw 8-bit text outside encoded words is read as UTF-8 when valid, else in
// the charset fallback (the entity's Content-Type charset, as clients do).
func decodeValue(raw, fallback string) string {
	if !strings.Contains(raw, "=?") {
		for i := 0; i < len(raw); i++ {
			if raw[i] >= 0x80 {
				return rawText([]byte(raw), fallback)
			}
		}
		return raw
	}
	return decodeHeader(raw, fallback)
}

// rawText reads unlabelled 8-bit header text.
func rawText(b []byte, fallback string) string {
	if fallback == "" || utf8.Valid(b) {
		return fallbackText(b)
	}
	return DecodeCharset(b, fallback)
}

// DecodeHeader decodes the RFC 2047 encoded words in raw to UTF-8. Text
// outside encoded words is kept (raw 8-bit text as by DecodeCharset with no
// charset). It never fails: a malformed word is left as written. CR, LF and
// NUL that encoded words decode to become spaces, so a decoded value copied
// into a header cannot inject a line.
func DecodeHeader(raw string) string { return decodeHeader(raw, "") }

func decodeHeader(raw, fallback string) string {
	var out strings.Builder
	var pend []byte   // decoded bytes of the current run of words
	var pendCS string // their charset
	flush := func() {
		if len(pend) > 0 {
			s := DecodeCharset(pend, pendCS)
			if strings.ContainsAny(s, "\r\n\x00") { // never let a decoded word break a header line
				s = strings.Map(ctlToSpace, s)
			}
			out.WriteString(s)
			pend = pend[:0]
		}
	}
	prevWord := false
	pos := 0
	closeAt := -1 // next "?=" found so far; searches never go back, so this stays linear
	for pos < len(raw) {
		i := strings.Index(raw[pos:], "=?")
		if i < 0 {
			break
		}
		i += pos
		cs, enc, text, end, ok := parseWord(raw, i, &closeAt)
		if !ok {
			flush()
			writeText(&out, raw[pos:i+2], fallback)
			pos, prevWord = i+2, false
			continue
		}
		between := raw[pos:i]
		if !(prevWord && isBlank(between)) {
			flush()
			writeText(&out, between, fallback)
		}
		if len(pend) > 0 && !strings.EqualFold(cs, pendCS) {
			flush()
		}
		pendCS = cs
		if enc == 'b' {
			pend = appendBase64(pend, text)
		} else {
			pend = appendQ(pend, text)
		}
		pos, prevWord = end, true
	}
	flush()
	writeText(&out, raw[pos:], fallback)
	return out.String()
}

func writeText(out *strings.Builder, s, fallback string) {
	if isASCII([]byte(s)) {
		out.WriteString(s)
		return
	}
	out.WriteString(rawText([]byte(s), fallback))
}

func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// parseWord parses the encoded word starting at raw[i] ("=?"). It returns the
// charset, the encoding ('b' or 'q'), the encoded text and the end offset.
func parseWord(raw string, i int, closeAt *int) (cs string, enc byte, text string, end int, ok bool) {
	s := raw[i+2:]
	q1 := strings.IndexByte(s[:min(len(s), 66)], '?')
	if q1 <= 0 || q1 > 64 || len(s) < q1+3 || s[q1+2] != '?' {
		return "", 0, "", 0, false
	}
	cs = s[:q1]
	if strings.ContainsAny(cs, " \t\"") {
		return "", 0, "", 0, false
	}
	if star := strings.IndexByte(cs, '*'); star >= 0 { // RFC 2231 5: charset*language
		cs = cs[:star]
	}
	enc = s[q1+1] | 0x20
	if enc != 'b' && enc != 'q' {
		return "", 0, "", 0, false
	}
	from := i + 2 + q1 + 3 // start of the encoded text in raw
	if *closeAt < from && *closeAt != len(raw) {
		*closeAt = len(raw)
		if e := strings.Index(raw[from:], "?="); e >= 0 {
			*closeAt = from + e
		}
	}
	if *closeAt == len(raw) || *closeAt-from > maxWordBytes {
		return "", 0, "", 0, false
	}
	return cs, enc, raw[from:*closeAt], *closeAt + 2, true
}

// appendQ decodes RFC 2047 4.2 Q text: "_" is space, "=XX" a byte.
func appendQ(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendBase64 decodes base64 text, skipping characters outside the
// alphabet and tolerating missing padding.
func appendBase64(b []byte, s string) []byte {
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		v := b64val[s[i]]
		if v == 0xff {
			if s[i] == '=' {
				break
			}
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			b = append(b, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		b = append(b, byte(acc>>4))
	case 3:
		b = append(b, byte(acc>>10), byte(acc>>2))
	}
	return b
}

// b64val maps a base64 character to its value, 0xff for anything else.
var b64val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = byte(i)
	}
	return t
}()

func ctlToSpace(r rune) rune {
	if r == '\r' || r == '\n' || r == 0 {
		return ' '
	}
	return r
}
