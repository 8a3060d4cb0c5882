package unpack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// # CHM (Microsoft HTML Help, ITSF)
//
// The ITSF header (version 2 or 3) gives at 0x48 the directory's offset and
// length and, in version 3, at 0x58 the content offset (else it follows the
// directory). The directory is an ITSP header (84 bytes; chunk size at 16)
// followed by chunks; "PMGL" listing chunks (20-byte header, free space
// size at 4) hold entries: ENCINT name length, UTF-8 name, ENCINT section,
// offset, length. ENCINTs are big-endian base-128 with the high bit as
// continuation. Section 0 is stored at content offset + offset; section 1
// is the LZX stream ::DataSpace/Storage/MSCompressed/Content (itself in
// section 0) with its window in .../ControlData; see lzx.go. Internal
// files (names starting "::" or "#" or "$") are skipped.

var errCHM = errors.New("chm: corrupt")

const (
	chmContentName = "::DataSpace/Storage/MSCompressed/Content"
	chmControlName = "::DataSpace/Storage/MSCompressed/ControlData"
	chmResetName   = "::DataSpace/Storage/MSCompressed/Transform/{7FC28940-9D31-11D0-9B27-00A0C91E9C7C}/InstanceData/ResetTable"
)

type chmEntry struct {
	name           string
	section        uint64
	offset, length uint64
}

func encint(d []byte, p *int) (uint64, bool) {
	var v uint64
	for i := 0; i < 9; i++ {
		if *p >= len(d) {
			return 0, false
		}
		c := d[*p]
		*p++
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return v, true
		}
	}
	return 0, false
}

func chmDirectory(data []byte) ([]chmEntry, uint64, error) {
	le := binary.LittleEndian
	if len(data) < 0x58 {
		return nil, 0, errCHM
	}
	dirOff, dirLen := le.Uint64(data[0x48:]), le.Uint64(data[0x50:])
	content := dirOff + dirLen
	if le.Uint32(data[4:]) >= 3 && len(data) >= 0x60 {
		content = le.Uint64(data[0x58:])
	}
	if dirOff > uint64(len(data)) || dirLen > uint64(len(data))-dirOff || dirLen < 84 {
		return nil, 0, errCHM
	}
	dir := data[dirOff : dirOff+dirLen]
	if string(dir[:4]) != "ITSP" {
		return nil, 0, errCHM
	}
	chunk := uint64(le.Uint32(dir[16:]))
	if chunk < 20 || chunk > 1<<20 {
		return nil, 0, errCHM
	}
	var out []chmEntry
	for c := uint64(84); c+chunk <= uint64(len(dir)); c += chunk {
		ch := dir[c : c+chunk]
		if string(ch[:4]) != "PMGL" {
			continue
		}
		end := int(chunk) - int(le.Uint32(ch[4:]))
		if end < 20 || end > len(ch) {
			end = len(ch)
		}
		for p := 20; p < end; {
			nl, ok := encint(ch, &p)
			if !ok || nl > uint64(end-p) {
				break
			}
			e := chmEntry{name: string(ch[p : p+int(nl)])}
			p += int(nl)
			var ok1, ok2, ok3 bool
			e.section, ok1 = encint(ch, &p)
			e.offset, ok2 = encint(ch, &p)
			e.length, ok3 = encint(ch, &p)
			if !ok1 || !ok2 || !ok3 {
				break
			}
			out = append(out, e)
		}
	}
	return out, content, nil
}

func extractChm(ctx context.Context, data []byte, x *run) error {
	entries, content, err := chmDirectory(data)
	if err != nil {
		return err
	}
	section0 := func(e chmEntry) ([]byte, bool) {
		start := content + e.offset
		if start < content || start > uint64(len(data)) || e.length > uint64(len(data))-start {
			return nil, false
		}
		return data[start : start+e.length], true
	}
	byName := map[string]chmEntry{}
	for _, e := range entries {
		byName[e.name] = e
	}
	var lzx []byte // section 1, decoded on first use
	var lzxErr error
	for _, e := range entries {
		if err := x.check(ctx); err != nil {
			return err
		}
		if e.length == 0 || strings.HasPrefix(e.name, "::") || strings.HasSuffix(e.name, "/") {
			continue
		}
		if e.length > uint64(x.fileCap()) {
			return &LimitError{Limit: "MaxFileSize", Detail: e.name}
		}
		var b []byte
		switch e.section {
		case 0:
			var ok bool
			if b, ok = section0(e); !ok {
				continue
			}
			if err := x.grow(int64(len(b))); err != nil {
				return err
			}
		case 1:
			if lzx == nil && lzxErr == nil {
				lzx, lzxErr = x.chmSection1(ctx, byName, section0)
				if errors.Is(lzxErr, ErrLimit) {
					return lzxErr
				}
			}
			if e.offset > uint64(len(lzx)) {
				continue
			}
			b = lzx[e.offset:min(uint64(len(lzx)), e.offset+e.length)]
		default:
			continue
		}
		if err := x.put(ctx, Entry{Name: e.name, Data: b}); err != nil {
			return err
		}
	}
	if lzxErr != nil {
		return fmt.Errorf("chm lzx section: %w", lzxErr)
	}
	return nil
}

// chmSection1 decodes the whole LZX section: the LZXC control data gives
// the window (as a multiple of 32 KiB) and the reset interval; the reset
// table gives the uncompressed length.
func (x *run) chmSection1(ctx context.Context, byName map[string]chmEntry, section0 func(chmEntry) ([]byte, bool)) ([]byte, error) {
	comp, ok1 := section0(byName[chmContentName])
	ctrl, ok2 := section0(byName[chmControlName])
	reset, ok3 := section0(byName[chmResetName])
	if !ok1 || !ok2 || !ok3 || len(ctrl) < 24 || string(ctrl[4:8]) != "LZXC" || len(reset) < 40 {
		return nil, errCHM
	}
	le := binary.LittleEndian
	resetInterval, window := le.Uint32(ctrl[12:]), le.Uint32(ctrl[16:])
	if le.Uint32(ctrl[8:]) >= 2 { // version 2 counts in 32 KiB units
		resetInterval *= 0x8000
		window *= 0x8000
	}
	total := le.Uint64(reset[16:])
	if total > uint64(x.fileCap()) { // the section is decoded whole, so it is held to one member's cap
		return nil, &LimitError{Limit: "MaxFileSize", Detail: "chm lzx section"}
	}
	return x.lzxDecode(ctx, comp, window, resetInterval, int64(total))
}
