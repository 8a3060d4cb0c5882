package mime

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// # Charsets
//
// Names are looked up in the WHATWG index first (the labels browsers and
// mail clients accept: "ks_c_5601-1987" is EUC-KR, "gb2312" is GBK,
// "iso-8859-1" and "us-ascii" are windows-1252), then in the IANA index.
// Text in an unknown charset, or without one, is kept as is when it is valid
// UTF-8 and read as windows-1252 otherwise, so every byte maps to a
// character and nothing is dropped.

// charsetAliases are names seen in mail that neither index knows.
var charsetAliases = map[string]string{
	"cp949":          "euc-kr",
	"ks_c_5601":      "euc-kr",
	"x-euc-kr":       "euc-kr",
	"cp932":          "shift_jis",
	"x-sjis":         "shift_jis",
	"cp936":          "gbk",
	"x-gbk":          "gbk",
	"cp1251":         "windows-1251",
	"ansi_x3.4-1968": "us-ascii",
	"utf8":           "utf-8",
}

// isASCIILabel reports whether charset names US-ASCII.
func isASCIILabel(charset string) bool {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(charset), `"'`)) {
	case "us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us":
		return true
	}
	return false
}

// lookupCharset returns the decoder for a charset name, nil if unknown.
func lookupCharset(name string) encoding.Encoding {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), `"'`))
	if a, ok := charsetAliases[name]; ok {
		name = a
	}
	if e, err := htmlindex.Get(name); err == nil {
		return e
	}
	if e, err := ianaindex.MIME.Encoding(name); err == nil && e != nil {
		return e
	}
	return nil
}

// DecodeCharset converts b from charset to UTF-8. Invalid sequences become
// U+FFFD; an unknown or empty charset keeps valid UTF-8 and reads anything
// else as windows-1252.
func DecodeCharset(b []byte, charset string) string {
	if isPlainASCII(b) {
		return string(b)
	}
	e := lookupCharset(charset)
	if e == nil || isASCIILabel(charset) {
		// QUIRK: 8-bit text labelled us-ascii is nearly always UTF-8
		// from a sender that did not label it; read it as unlabelled.
		return fallbackText(b)
	}
	if e == unicode.UTF8 || e == encoding.Nop {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return fallbackText(b)
	}
	return string(out)
}

// fallbackText keeps valid UTF-8 and reads other bytes as windows-1252.
func fallbackText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// isPlainASCII reports whether b is ASCII that every charset we decode reads
// as ASCII: no ESC (ISO-2022 shifts) and no NUL (UTF-16).
func isPlainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1b || c == 0 {
			return false
		}
	}
	return true
}
