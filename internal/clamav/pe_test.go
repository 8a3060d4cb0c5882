package clamav

import (
	"encoding/binary"
	"testing"
)

// buildPE makes a minimal PE with one section holding code at its start,
// the entry point pointing at it.
func buildPE(t *testing.T, code []byte) []byte {
	t.Helper()
	const peOff, secRaw, secRVA = 0x80, 0x200, 0x1000
	d := make([]byte, secRaw+0x200)
	copy(d, "MZ")
	binary.LittleEndian.PutUint32(d[0x3c:], peOff)
	copy(d[peOff:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(d[peOff+4:], 0x14c) // i386
	binary.LittleEndian.PutUint16(d[peOff+6:], 1)     // one section
	binary.LittleEndian.PutUint16(d[peOff+20:], 0xe0) // optional header size
	opt := peOff + 24
	binary.LittleEndian.PutUint16(d[opt:], 0x10b)     // PE32
	binary.LittleEndian.PutUint32(d[opt+16:], secRVA) // entry point
	sh := opt + 0xe0
	copy(d[sh:], ".text\x00\x00\x00")
	binary.LittleEndian.PutUint32(d[sh+8:], 0x200) // virtual size
	binary.LittleEndian.PutUint32(d[sh+12:], secRVA)
	binary.LittleEndian.PutUint32(d[sh+16:], 0x200) // raw size
	binary.LittleEndian.PutUint32(d[sh+20:], secRaw)
	copy(d[secRaw:], code)
	return d
}

func TestParsePE(t *testing.T) {
	d := buildPE(t, []byte("X"))
	x, ok := parsePE(d)
	if !ok || x.ep != 0x200 || len(x.sections) != 1 || x.sections[0].rawLen != 0x200 {
		t.Fatalf("parsePE: %v %+v", ok, x)
	}
	if fileType(d) != targetPE {
		t.Errorf("fileType = %d", fileType(d))
	}
}
