package unpack

import (
	"context"
	"encoding/binary"
	"fmt"
)

// # UPX (win32/pe)
//
// A UPX-packed PE has sections UPX0 (no raw data: the space the original
// sections are unpacked into) and UPX1 (the packed stream and the stub).
// The stub at the entry point starts "60 BE src 8D BE disp" (pusha; mov
// esi, src VA; lea edi, [esi+disp]): src is where the stream starts.
// When the stub is not recognised the stream is taken from UPX1's start.
// The stream is NRV2E, NRV2D or NRV2B (nrv.go); each is tried and the first
// that ends cleanly wins. The member is the unpacked image (the original
// sections laid out from UPX0's RVA), at most UPX0+UPX1 virtual size; the
// PE header is not rebuilt; executables embedded in the image are carved
// out (pecarve.go).
func extractUPX(ctx context.Context, data []byte, x *run) error {
	if err := x.autoit(ctx, data); err != nil { // Aut2Exe's stub is UPX-packed
		return err
	}
	pe, err := parsePE(data)
	if err != nil {
		return err
	}
	var upx0, upx1 *peSection
	for i := range pe.sections {
		switch pe.sections[i].name {
		case "UPX0":
			upx0 = &pe.sections[i]
		case "UPX1":
			upx1 = &pe.sections[i]
		}
	}
	if upx0 == nil || upx1 == nil {
		if len(pe.sections) < 2 {
			return fmt.Errorf("upx: no UPX sections: %w", errPE)
		}
		upx0, upx1 = &pe.sections[0], &pe.sections[1]
	}
	limit := int64(upx0.vsize) + int64(upx1.vsize)
	if limit > x.fileCap() {
		return &LimitError{Limit: "MaxFileSize", Detail: "upx image"}
	}
	src := int(upx1.rawOff)
	if ep, ok := pe.fileOffset(pe.ep); ok && ep+12 <= len(data) &&
		data[ep] == 0x60 && data[ep+1] == 0xbe && data[ep+6] == 0x8d && data[ep+7] == 0xbe {
		if off, ok := pe.fileOffset(binary.LittleEndian.Uint32(data[ep+2:]) - pe.base); ok {
			src = off
		}
	}
	if src >= len(data) {
		return fmt.Errorf("upx: stream outside file: %w", errPE)
	}
	var lastErr error
	for _, m := range []byte{'e', 'd', 'b'} {
		if err := x.check(ctx); err != nil {
			return err
		}
		out, err := nrvDecompress(data[src:], m, int(limit))
		if err != nil {
			lastErr = err
			continue
		}
		if err := x.grow(int64(len(out))); err != nil {
			return err
		}
		if err := x.put(ctx, Entry{Name: "upx-nrv2" + string(m), Data: out}); err != nil {
			return err
		}
		return x.carvePE(ctx, out, 0)
	}
	return fmt.Errorf("upx: %w", lastErr)
}
