// Package unpack extracts the members of container and encoded formats,
// bounded by a Budget.
//
// # Model
//
// Extract takes one container already in memory, decodes it one level deep
// and hands every member to emit. The caller (the ClamAV engine) scans each
// member and recurses into it itself, so recursion depth is the caller's
// business; every byte produced here is paid for from a Budget shared by the
// whole scan, so a nested or overlapping-entry bomb runs out of budget at the
// level where it expands.
//
// # Limits
//
// The limits are named like ClamAV's: MaxFileSize (one member), MaxScanSize
// (all bytes emitted during the scan), MaxFiles (members emitted),
// MaxScanTime (deadline or ctx) plus MaxRatio, the bytes one Extract call may
// produce per byte of its input (checked only once the output passes
// ratioFloor, so tiny well-compressed files never trip it). A limit reached
// returns a *LimitError; encrypted members are emitted with Encrypted set and
// no data.
package unpack

import (
	"context"
	"fmt"
)

// Kind names a container or encoding format; "" means not a container.
type Kind string

// The kinds Extract understands.
const (
	KindNone   Kind = ""
	KindZip    Kind = "zip"
	KindGzip   Kind = "gzip"
	KindBzip2  Kind = "bzip2"
	KindXz     Kind = "xz"
	KindTar    Kind = "tar"
	Kind7z     Kind = "7z"
	KindRar    Kind = "rar"
	KindArj    Kind = "arj"
	KindCpio   Kind = "cpio"
	KindCab    Kind = "cab"
	KindChm    Kind = "chm"
	KindOLE2   Kind = "ole2"
	KindMail   Kind = "mail"
	KindUU     Kind = "uuencode"
	KindBinhex Kind = "binhex"
	KindHTML   Kind = "html"
	KindRTF    Kind = "rtf"
	KindPDF    Kind = "pdf"
	KindSZDD   Kind = "szdd"
	KindTNEF   Kind = "tnef"
	KindSIS    Kind = "sis"
	KindUPX    Kind = "upx"
	KindPetite Kind = "petite"
	KindMEW    Kind = "mew"
	KindWWPack Kind = "wwpack"
	KindYC     Kind = "yc"
	KindASPack Kind = "aspack"
	KindPESpin Kind = "pespin"
	KindUpack  Kind = "upack"
	KindPE     Kind = "pe" // any other PE file: a container of embedded executables
)

// Entry is one extracted member. Data is read-only: it may alias the input
// of Extract. An encrypted member has Encrypted set and Data nil.
type Entry struct {
	Name      string
	Data      []byte
	Encrypted bool
}

type extractor func(ctx context.Context, data []byte, x *run) error

// lookup returns the unpacker of k; each lives in its own file.
func lookup(k Kind) extractor {
	switch k {
	case KindZip:
		return extractZip
	case KindGzip:
		return extractGzip
	case KindBzip2:
		return extractBzip2
	case KindXz:
		return extractXz
	case KindTar:
		return extractTar
	case KindCpio:
		return extractCpio
	case Kind7z:
		return extract7z
	case KindRar:
		return extractRar
	case KindMail:
		return extractMail
	case KindUU:
		return extractUU
	case KindSZDD:
		return extractSZDD
	case KindBinhex:
		return extractBinhex
	case KindTNEF:
		return extractTNEF
	case KindHTML:
		return extractHTML
	case KindRTF:
		return extractRTF
	case KindPDF:
		return extractPDF
	case KindCab:
		return extractCab
	case KindSIS:
		return extractSIS
	case KindOLE2:
		return extractOLE2
	case KindArj:
		return extractArj
	case KindChm:
		return extractChm
	case KindUPX:
		return extractUPX
	case KindPetite:
		return extractPetite
	case KindMEW:
		return extractMEW
	case KindWWPack:
		return extractWWPack
	case KindYC:
		return extractYC
	case KindASPack:
		return extractASPack
	case KindPESpin:
		return extractPESpin
	case KindUpack:
		return extractUpack
	case KindPE:
		return extractPE
	}
	return nil
}

// Extract decodes data as kind and calls emit once per member, in archive
// order. It stops at the first error from emit, the first limit reached
// (*LimitError) or a malformed container (a wrapped error); members emitted
// before that stay emitted. Extract may be called concurrently with the same
// Budget. Unknown kinds return an error.
func Extract(ctx context.Context, kind Kind, data []byte, b *Budget, emit func(Entry) error) error {
	fn := lookup(kind)
	if fn == nil {
		return fmt.Errorf("unpack: unsupported kind %q", kind)
	}
	if b == nil {
		b = NewBudget(0, 0, 0, 0, timeZero)
	}
	x := &run{b: b, in: int64(len(data)), emit: emit}
	if err := x.check(ctx); err != nil {
		return err
	}
	if err := fn(ctx, data, x); err != nil {
		return fmt.Errorf("unpack %s: %w", kind, err)
	}
	return nil
}
