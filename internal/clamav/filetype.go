package clamav

import (
	"bytes"
	"encoding/binary"
)

// # Target types
//
// ndb/ldb target types (ClamAV "Creating signatures", target type table):
// 0 any file, 1 PE, 2 OLE2, 3 HTML (normalised), 4 mail, 5 graphics, 6 ELF,
// 7 ASCII text (normalised), 8 unused, 9 Mach-O, 10 PDF, 11 Flash, 12 Java
// class. Types above 12 are newer than this engine and their signatures are
// skipped.
const (
	targetAny      = 0
	targetPE       = 1
	targetOLE2     = 2
	targetHTML     = 3
	targetMail     = 4
	targetGraphics = 5
	targetELF      = 6
	targetText     = 7
	targetMachO    = 9
	targetPDF      = 10
	targetFlash    = 11
	targetJava     = 12
	maxTarget      = 12
)

// sniffLen is how much of a file typing looks at.
const sniffLen = 4096

// fileType returns the target type of d by its magic bytes.
func fileType(d []byte) uint8 {
	head := d[:min(len(d), sniffLen)]
	switch {
	case len(d) >= 2 && d[0] == 'M' && d[1] == 'Z':
		if _, ok := parsePE(d); ok {
			return targetPE
		}
	case bytes.HasPrefix(d, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return targetOLE2
	case bytes.HasPrefix(d, []byte("\x7fELF")):
		return targetELF
	case bytes.HasPrefix(d, []byte("%PDF-")):
		return targetPDF
	case bytes.HasPrefix(d, []byte("GIF8")), bytes.HasPrefix(d, []byte("\x89PNG")),
		bytes.HasPrefix(d, []byte("\xff\xd8\xff")), bytes.HasPrefix(d, []byte("BM")) && len(d) > 26:
		return targetGraphics
	case bytes.HasPrefix(d, []byte("FWS")), bytes.HasPrefix(d, []byte("CWS")), bytes.HasPrefix(d, []byte("ZWS")):
		return targetFlash
	case len(d) >= 8 && isMachO(binary.BigEndian.Uint32(d)):
		return targetMachO
	case len(d) >= 8 && binary.BigEndian.Uint32(d) == 0xcafebabe:
		// QUIRK: 0xCAFEBABE is both a Mach-O fat binary and a Java class;
		// a class file's major version (offset 6) is 45 or more, a fat
		// binary's architecture count is small.
		if binary.BigEndian.Uint16(d[6:]) >= 45 {
			return targetJava
		}
		return targetMachO
	}
	if bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")) {
		return targetPDF
	}
	if isMail(head) {
		return targetMail
	}
	if isHTML(head) {
		return targetHTML
	}
	if isText(head) {
		return targetText
	}
	return targetAny
}

func isMachO(m uint32) bool {
	switch m {
	case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
		return true
	}
	return false
}

var mailHeaders = [][]byte{
	[]byte("from "), []byte("received:"), []byte("return-path:"), []byte("from:"),
	[]byte("subject:"), []byte("mime-version:"), []byte("delivered-to:"), []byte("message-id:"),
	[]byte("date:"), []byte("to:"), []byte("x-"), []byte("content-type:"), []byte("reply-to:"),
}

// isMail reports whether head starts like an RFC 5322 message or an mbox.
func isMail(head []byte) bool {
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	l := bytes.ToLower(line[:min(len(line), 32)])
	for _, h := range mailHeaders {
		if bytes.HasPrefix(l, h) {
			return true
		}
	}
	return false
}

var htmlMarks = [][]byte{
	[]byte("<html"), []byte("<!doctype html"), []byte("<head"), []byte("<body"),
	[]byte("<script"), []byte("<iframe"), []byte("<meta"), []byte("<title"),
}

func isHTML(head []byte) bool {
	if foldSafe(head) {
		// Every mark starts with '<': look only where one is.
		for off := 0; off < len(head); {
			i := bytes.IndexByte(head[off:], '<')
			if i < 0 {
				return false
			}
			off += i
			for _, m := range htmlMarks {
				if hasPrefixFold(head[off:], m) {
					return true
				}
			}
			off++
		}
		return false
	}
	l := bytes.ToLower(head)
	for _, m := range htmlMarks {
		if bytes.Contains(l, m) {
			return true
		}
	}
	return false
}

// isText: no NUL and at most 1 in 16 bytes outside printable ASCII and
// common whitespace (ClamAV treats UTF-8 and Latin-1 text alike as text).
func isText(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	odd := 0
	for _, c := range head {
		switch {
		case c == 0:
			return false
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f':
			odd++
		}
	}
	return odd*16 <= len(head)
}

// foldSafe reports whether b holds neither U+0130 nor U+212A, the only
// non-ASCII characters Unicode lower-casing (bytes.ToLower) turns into
// ASCII letters; elsewhere ASCII folding in place finds the same ASCII
// marks as a lower-cased copy.
func foldSafe(b []byte) bool {
	return !bytes.Contains(b, []byte("\xc4\xb0")) && !bytes.Contains(b, []byte("\xe2\x84\xaa"))
}

// hasPrefixFold reports whether b starts with lower (lower-case ASCII)
// ignoring ASCII case.
func hasPrefixFold(b, lower []byte) bool {
	if len(b) < len(lower) {
		return false
	}
	for i, c := range lower {
		if textClass[b[i]] != c && b[i] != c {
			return false
		}
	}
	return true
}
