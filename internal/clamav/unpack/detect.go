package unpack

import (
	"bytes"
	"encoding/binary"
	"path"
	"strconv"
	"strings"
)

// # Detection
//
// Binary formats are recognised by their magic numbers at offset 0 (tar:
// "ustar" at 257 or a valid v7 header checksum; PDF: "%PDF-" in the first
// KiB, as readers accept junk before it). Text formats are sniffed from
// content: mail needs two or more RFC 5322 header lines at the top, HTML a
// tag near the start, uuencode a "begin NNN name" line. The file name is a
// hint only when the content says nothing (nameHint). A PE file is "upx"
// when it has UPX0/UPX1 sections, the packer's kind when its layout and
// entry point say so (pepack.go), else "pe" (a container of embedded
// executables and NSIS data).

var magics = []struct {
	magic string
	kind  Kind
}{
	{"PK\x03\x04", KindZip}, {"PK\x05\x06", KindZip}, {"PK00PK\x03\x04", KindZip},
	{"\x1f\x8b", KindGzip},
	{"BZh", KindBzip2},
	{"\xfd7zXZ\x00", KindXz},
	{"7z\xbc\xaf\x27\x1c", Kind7z},
	{"Rar!\x1a\x07", KindRar},
	{"\x60\xea", KindArj},
	{"070701", KindCpio}, {"070702", KindCpio}, {"070707", KindCpio},
	{"\xc7\x71", KindCpio}, {"\x71\xc7", KindCpio},
	{"MSCF\x00\x00\x00\x00", KindCab},
	{"ITSF", KindChm},
	{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", KindOLE2},
	{"SZDD\x88\xf0\x27\x33", KindSZDD},
	{"\x78\x9f\x3e\x22", KindTNEF},
	{"{\\rtf", KindRTF},
	{"(This file must be converted with BinHex", KindBinhex},
}

// Detect names the container format of a file from its first bytes (up to
// 4 KiB are looked at) and, as a hint, its name.
func Detect(head []byte, name string) Kind {
	if len(head) > 4096 {
		head = head[:4096]
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return m.kind
		}
	}
	switch {
	case isSIS(head):
		return KindSIS
	case isTar(head):
		return KindTar
	case bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")):
		return KindPDF
	case isUPX(head) || peImageSize(head) > 0 || len(head) >= 0x40 && string(head[:2]) == "MZ" && isPEHeader(head):
		return peKind(head)
	}
	if i := bytes.Index(head, []byte("(This file must be converted with BinHex")); i >= 0 && i < 512 {
		return KindBinhex
	}
	if k := sniffText(head); k != KindNone {
		return k
	}
	return nameHint[strings.ToLower(path.Ext(name))]
}

// nameHint is consulted only when the content is not recognised: text
// formats whose first lines may not show what they are.
var nameHint = map[string]Kind{
	".eml": KindMail, ".mbox": KindMail, ".mbx": KindMail,
	".htm": KindHTML, ".html": KindHTML, ".hta": KindHTML,
	".uu": KindUU, ".uue": KindUU, ".hqx": KindBinhex,
}

// isSIS matches the EPOC installer header: UID2 0x1000006D (EPOC release 3-5)
// or 0x10003A12 (release 6), UID3 0x10000419.
func isSIS(h []byte) bool {
	if len(h) < 16 {
		return false
	}
	uid2, uid3 := binary.LittleEndian.Uint32(h[4:]), binary.LittleEndian.Uint32(h[8:])
	return uid3 == 0x10000419 && (uid2 == 0x1000006d || uid2 == 0x10003a12)
}

// isTar accepts "ustar" magic, or (v7 archives) a header whose checksum
// adds up.
func isTar(h []byte) bool {
	if len(h) < 512 || h[0] == 0 {
		return false
	}
	if string(h[257:262]) == "ustar" {
		return true
	}
	var sum int64
	for i, c := range h[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	want, err := strconv.ParseInt(strings.Trim(string(h[148:156]), " \x00"), 8, 64)
	return err == nil && want == sum
}

// isUPX reports a PE file with a section named UPX0/UPX1.
func isUPX(h []byte) bool {
	if len(h) < 0x40 || string(h[:2]) != "MZ" {
		return false
	}
	return bytes.Contains(h[:min(len(h), 1024)], []byte("UPX0\x00")) &&
		bytes.Contains(h[:min(len(h), 1024)], []byte("UPX1\x00"))
}

var mailHeaders = []string{"from:", "to:", "subject:", "received:", "return-path:", "message-id:",
	"mime-version:", "content-type:", "date:", "delivered-to:", "x-", "reply-to:", "cc:", "sender:",
	"content-transfer-encoding:"}

// sniffText classifies text files: mail (mbox "From " line or leading
// header lines), HTML, uuencode.
func sniffText(h []byte) Kind {
	if foldSafe(h) {
		return sniffTextASCII(h)
	}
	lines := strings.SplitN(string(h), "\n", 16)
	headers := 0
	for i, l := range lines {
		ll := strings.ToLower(strings.TrimRight(l, "\r"))
		if i == 0 && strings.HasPrefix(ll, "from ") {
			headers++
			continue
		}
		if ll == "" {
			break
		}
		for _, p := range mailHeaders {
			if strings.HasPrefix(ll, p) {
				headers++
				break
			}
		}
	}
	if headers >= 2 {
		return KindMail
	}
	lower := bytes.ToLower(h[:min(len(h), 1024)])
	for _, tag := range []string{"<html", "<!doctype html", "<head", "<body", "<script", "<a href", "<img", "<iframe", "<object"} {
		if bytes.Contains(lower, []byte(tag)) {
			return KindHTML
		}
	}
	if findUUBegin(h) >= 0 {
		return KindUU
	}
	return KindNone
}

// isPEHeader reports "PE\0\0" at e_lfanew within head.
func isPEHeader(h []byte) bool {
	pe := int(binary.LittleEndian.Uint32(h[0x3c:]))
	// QUIRK: MEW and Upack overlap the DOS header with the PE header
	// (e_lfanew 0x0C, 0x10).
	return pe >= 4 && pe+4 <= len(h) && string(h[pe:pe+4]) == "PE\x00\x00"
}
