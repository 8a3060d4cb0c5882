package unpack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// # Upack 0.39 (three sections)
//
// The optional header is 0x148 bytes, the headers overlap the DOS header
// and the entry point code is "BE imm32 AD 50" (mov esi, VA; lodsd; push
// eax). Offsets are into an image of the three sections' virtual sizes
// from the first section's RVA; it holds the file's first bytes (headers
// and section 0) both at 0 and at section 2's RVA, and section 1's raw
// data at its RVA. The stub is walked by its jumps, as ClamAV does, to
// find the literal context bits (shr ebp, n), the size of the probability
// table and the table's setup data; the stream is then decoded by a
// transliteration of Upack's LZMA-like range decoder (upackDecode), whose
// probabilities live in the image as in the packer. Finally the E8/E9
// operands the packer tagged are made relative again. The member is the
// image.

var errUpack = errors.New("upack: malformed")

// upackMaxCalls bounds the call-fixing walk's count of fixes.
const upackMaxCalls = 1 << 24

// upackEntry returns the file offset of the entry point as ClamAV maps it
// (raw offsets rounded down to the file alignment), or -1 when f is not a
// three-section Upack 0.39 file.
func upackEntry(f *peFile) int64 {
	d := f.d
	if len(f.sections) != 3 || f.lfanew+24+40 > len(d) ||
		binary.LittleEndian.Uint16(d[f.lfanew+20:]) != 0x148 {
		return -1
	}
	align := int64(binary.LittleEndian.Uint32(d[f.lfanew+24+36:]))
	if align == 0 {
		align = 1
	}
	for _, s := range f.sections {
		if f.ep >= s.rva && f.ep-s.rva < max(s.vsize, s.rawSize) {
			off := int64(s.rawOff)/align*align + int64(f.ep-s.rva)
			lo := min(f.sections[0].rva, f.sections[1].rva, f.sections[2].rva)
			if off+7 > int64(len(d)) || d[off] != 0xbe || d[off+5] != 0xad || d[off+6] != 0x50 {
				return -1
			}
			if va, _ := u32(d, off+1); va-f.base <= lo {
				return -1
			}
			return off
		}
	}
	return -1
}

// upackBuf is the image with ClamAV's containment checks.
type upackBuf []byte

func (b upackBuf) in(off, n int64) bool { return n > 0 && off >= 0 && off+n <= int64(len(b)) }

func (b upackBuf) u32(off int64) (uint32, error) {
	if !b.in(off, 4) {
		return 0, errUpack
	}
	return binary.LittleEndian.Uint32(b[off:]), nil
}

func (b upackBuf) put32(off int64, v uint32) error {
	if !b.in(off, 4) {
		return errUpack
	}
	binary.LittleEndian.PutUint32(b[off:], v)
	return nil
}

func (b upackBuf) at(off int64) (byte, error) {
	if !b.in(off, 1) {
		return 0, errUpack
	}
	return b[off], nil
}

func extractUpack(ctx context.Context, data []byte, x *run) error {
	f, err := parsePE(data)
	if err != nil {
		return errUpack
	}
	ep := upackEntry(f)
	if ep < 0 {
		return fmt.Errorf("upack: entry point not recognised: %w", errUpack)
	}
	s0, s1, s2 := f.sections[0], f.sections[1], f.sections[2]
	dsize := int64(s0.vsize) + int64(s1.vsize) + int64(s2.vsize)
	ssize := int64(s0.rawSize) + int64(s0.rawOff)
	r1 := int64(s1.rva) - int64(s0.rva)
	r2 := int64(s2.rva) - int64(s0.rva)
	raw1 := f.rawData(s1)
	if ssize > dsize || ssize > int64(len(data)) || r1 < 0 || r1+int64(len(raw1)) > dsize ||
		r2 < 0 || r2+ssize > dsize {
		return fmt.Errorf("upack: bad layout: %w", errUpack)
	}
	img, err := x.alloc(dsize, "upack")
	if err != nil {
		return err
	}
	copy(img, data[:ssize])
	copy(img[r2:], data[:ssize])
	copy(img[r1:], raw1)
	if err := upackUnpack(upackBuf(img), data[ep:], ep, int64(f.base)+int64(s0.rva)); err != nil {
		return err
	}
	return x.emitImage(ctx, "upack-image", img)
}

// upackUnpack walks the stub from the entry point code epc (at image
// offset ep) to the decoder's parameters, decodes and unfilters.
func upackUnpack(b upackBuf, epc []byte, ep, vma int64) error {
	va := func(v uint32) int64 { return int64(v) - vma }
	esi := va(binary.LittleEndian.Uint32(epc[1:]))
	if !b.in(esi, 12) {
		return errUpack
	}
	w, _ := b.u32(esi + 8)
	edi := va(w)
	if c, err := b.at(ep + 0xa); err != nil || c != 0xeb {
		return errUpack
	}
	j, _ := b.at(ep + 0xb)
	esi = ep + 0xc + int64(int8(j))
	al := esi + 0x1a
	if c, err := b.at(al); err != nil || c != 0xeb {
		return errUpack
	}
	al++
	c, _ := b.at(al)
	al += int64(c) + 1 + 0xa
	if c, err := b.at(al); err != nil || c != 0xb5 {
		return errUpack
	}
	al++
	count, _ := b.at(al)
	if !b.in(al, 8+5) || b[al+8] != 0xe9 {
		return errUpack
	}
	rel, _ := b.u32(al + 9)
	skew, err := b.at(esi + 0x1b)
	if err != nil {
		return err
	}
	shl := int64(int32(rel)) + esi + int64(int8(skew)) + 0x1c + 0x18
	// jecxz at +43 (0.39) or +46 (variant 0151477)
	jump, aljump, shroff := shl+43, int64(8), int64(24)
	if c, err := b.at(jump - 1); err != nil || c != 0xe3 {
		jump, aljump, shroff = shl+46, 7, 26
		if c, err := b.at(jump - 1); err != nil || c != 0xe3 {
			return errUpack
		}
	}
	c, _ = b.at(jump)
	jump += int64(c) + 1
	if !b.in(jump, aljump+5) || b[jump+aljump] != 0xe9 {
		return errUpack
	}
	rel, _ = b.u32(jump + aljump + 1)
	fixByte := jump + int64(int32(rel)) + aljump + 1 + 4 + 27
	if !b.in(shl+shroff, 3) || b[shl+shroff] != 0xc1 || b[shl+shroff+1] != 0xed {
		return errUpack
	}
	lc := uint32(b[shl+shroff+2])
	if lc < 2 || lc > 8 {
		return fmt.Errorf("upack: context bits %d: %w", lc, errUpack)
	}
	probs := int64(count) * 0x100
	if c, err := b.at(esi + 7); err != nil || c != 0xbe || !b.in(esi+8, 4) {
		return errUpack
	}
	w, _ = b.u32(esi + 8)
	esi = va(w)
	if !b.in(edi, 0x9c+24+4*probs) || !b.in(esi, 0x9c+0x34+4) {
		return errUpack
	}
	copy(b[edi:edi+0x9c], b[esi:esi+0x9c])
	esi, edi = esi+0x9c, edi+0x9c
	calls, _ := b.u32(esi + 4)
	pa, _ := b.u32(edi - 4)
	paddr := va(pa)
	ebx := edi
	for i, v := range []uint32{0xffffffff, 0, 1, 1, 1, 1} {
		b.put32(edi+int64(i)*4, v)
	}
	for i := range probs {
		b.put32(edi+24+i*4, 0x400)
	}
	w, _ = b.u32(esi + 0xc)
	out := va(w)
	w, _ = b.u32(esi + 0x34)
	end := va(w)
	if out > end {
		return errUpack
	}
	if err := upackDecode(b, ebx, out, end, lc, paddr); err != nil {
		return err
	}
	return upackUnfilter(b, out, fixByte, calls)
}

// upackUnfilter makes the first calls E8/E9 operands tagged with the byte
// at fix relative again (big-endian absolute → little-endian relative).
func upackUnfilter(b upackBuf, start, fix int64, calls uint32) error {
	tag, err := b.at(fix)
	if err != nil {
		return err
	}
	if calls > upackMaxCalls {
		return errUpack
	}
	for i := int64(0); calls > 0; {
		c, err := b.at(start + i)
		if err != nil {
			return err
		}
		i++
		if c != 0xe8 && c != 0xe9 {
			continue
		}
		v, err := b.u32(start + i)
		if err != nil {
			return err
		}
		if byte(v) != tag {
			continue
		}
		b.put32(start+i, bits.ReverseBytes32(v&0xffffff00)-uint32(i)-4)
		i += 4
		calls--
	}
	return nil
}

// upackRC is Upack's range decoder: p0 the input offset, p1 the range,
// p2 the low end of the code.
type upackRC struct {
	b      upackBuf
	p0     int64
	p1, p2 uint32
}

// bit decodes one bit with the 32-bit probability at off (Upack's esi+0).
func (r *upackRC) bit(off int64) (uint32, error) {
	prob, err := r.b.u32(off)
	if err != nil {
		return 0, err
	}
	code, err := r.b.u32(r.p0)
	if err != nil {
		return 0, err
	}
	bound := (r.p1 >> 11) * prob
	var ret uint32
	if bits.ReverseBytes32(code)-r.p2 < bound {
		r.p1 = bound
		r.b.put32(off, prob+(0x800-prob)>>5)
	} else {
		r.p2 += bound
		r.p1 -= bound
		r.b.put32(off, prob-prob>>5)
		ret = 1
	}
	if r.p1&0xff000000 == 0 {
		r.p2 <<= 8
		r.p1 <<= 8
		r.p0++
	}
	return ret, nil
}

// tree decodes bits MSB first from the tree at base, starting at node
// eax, until the node number reaches limit (Upack's esi+0x50); edx is
// left at the last probability read. It returns node - limit.
func (r *upackRC) tree(eax, limit uint32, edx *int64, base int64) (uint32, error) {
	for n := 0; ; n++ {
		if n == 64 {
			return 0, errUpack
		}
		*edx = base + int64(eax)<<2
		bit, err := r.bit(*edx)
		if err != nil {
			return 0, err
		}
		eax = eax*2 + bit
		if eax >= limit {
			return eax - limit, nil
		}
	}
}

// length decodes a match length from the length coder at *edx
// (Upack's esi+0x54).
func (r *upackRC) length(eax uint32, ecx *uint32, edx *int64) (uint32, error) {
	*ecx = *ecx&0xffffff00 | 8
	bit, err := r.bit(*edx)
	if err != nil {
		return 0, err
	}
	*edx += 4
	eax = eax&0xffffff00 | 1
	if bit != 0 {
		if bit, err = r.bit(*edx); err != nil {
			return 0, err
		}
		eax |= 8
		if bit != 0 {
			*ecx <<= 5
			eax = 0x11
		}
	}
	v, err := r.tree(1, *ecx, edx, *edx+int64(eax)<<2)
	return eax + v, err
}

// upackDec is the state of Upack's decoder (ClamAV's unupack399): the
// model's state words and probabilities live at ebx in the image, output
// runs from edi to end, lc is the literal context shift. Register names
// follow the packer's code; every access is checked.
type upackDec struct {
	*upackRC
	ebx, edi, start, end int64
	lc                   uint32
	state                [6]uint32
	eax, ecx, ebp, eax0  uint32 // eax0: eax carried to the next symbol
	edx                  int64
}

// upackDecode runs the decoder until the output reaches end.
func upackDecode(b upackBuf, ebx, edi, end int64, lc uint32, paddr int64) error {
	d := &upackDec{ebx: ebx, edi: edi, start: edi, end: end, lc: lc}
	for i := range d.state {
		v, err := b.u32(ebx + int64(i)*4)
		if err != nil {
			return err
		}
		d.state[i] = v
	}
	d.upackRC = &upackRC{b: b, p0: paddr, p1: d.state[0], p2: d.state[1]}
	for d.edi < d.end {
		d.eax = d.eax0
		d.edx = d.ebx + int64(d.eax)<<2 + 0x58
		bit, err := d.bit(d.edx)
		if err != nil {
			return err
		}
		var done bool
		if bit == 0 {
			err = d.literal()
		} else {
			done, err = d.match()
		}
		if err != nil {
			return err
		}
		if done {
			continue
		}
		if !b.in(d.edi, 1) {
			return errUpack
		}
		b[d.edi] = byte(d.eax)
		d.edi++
	}
	return nil
}

// literal decodes a byte into eax's low byte, in the context of the
// previous byte and, after a match, of the byte at the last distance.
func (d *upackDec) literal() error {
	for {
		al := d.eax & 0xff
		if al >= 3 {
			al -= 3
		} else {
			al = 0
		}
		d.eax = d.eax&0xffffff00 | al
		if al < 7 {
			break
		}
	}
	d.eax0 = d.eax
	ebp := uint32(0)
	if d.edi > d.start && d.edi > 0 && d.edi < int64(len(d.b)) {
		ebp = uint32(d.b[d.edi-1]) >> d.lc
	}
	probs := d.ebx + int64(ebp*0x300)<<2 + 0x1008
	d.eax = d.eax&0xffffff00 | 1
	var err error
	if d.ecx == 0 {
		d.ecx = d.ecx&0xffff00ff | 0x100
		d.eax, err = d.tree(d.eax, d.ecx, &d.edx, probs)
		d.ecx = 0
		return err
	}
	cl := byte(d.ecx)
	d.ecx = 0
	m, err := d.b.at(d.edi - int64(d.state[2]))
	if err != nil {
		return err
	}
	for {
		if m&cl != 0 {
			d.eax = d.eax&0xffff00ff | 0x200
		} else {
			d.eax = d.eax&0xffff00ff | 0x100
		}
		d.edx = probs + int64(d.eax)<<2
		bit, err := d.bit(d.edx)
		if err != nil {
			return err
		}
		al := (d.eax&0xff*2 + bit) & 0xff
		d.eax = d.eax&0xffffff00 | al
		if cl >>= 1; cl == 0 {
			return nil
		}
		if ah := (d.eax>>8&0xff - al) & 1; ah == 0 { // mismatch: plain tree
			d.eax, err = d.tree(d.eax&0xffff0000|al, 0x100, &d.edx, probs)
			return err
		}
	}
}

// match decodes a match (or a one-byte repeat, done true) and copies it;
// eax's low byte is left at the byte after it, written by the caller.
func (d *upackDec) match() (done bool, err error) {
	if d.eax&0xff >= 7 {
		d.eax = d.eax&0xffffff00 | 11
	} else {
		d.eax = d.eax&0xffffff00 | 8
	}
	d.ebp = d.state[2]
	d.ecx = d.ecx&0xffffff00 | 0x30
	d.edx += int64(d.ecx)
	bit, err := d.bit(d.edx)
	if err != nil {
		return false, err
	}
	if bit == 0 {
		err = d.newDistance()
	} else {
		done, err = d.repeat()
	}
	if err != nil || done {
		return done, err
	}
	from := d.edi - int64(d.ebp)
	if !d.b.in(d.edi, int64(d.ecx)) || !d.b.in(from, int64(d.ecx)+1) {
		return false, errUpack
	}
	d.state[2] = d.ebp
	for i := range int64(d.ecx) {
		d.b[d.edi+i] = d.b[from+i]
	}
	d.edi += int64(d.ecx)
	d.eax = d.eax&0xffffff00 | uint32(d.b[d.edi-int64(d.ebp)])
	d.ecx = 0x80
	return false, nil
}

// newDistance decodes a length into ecx and a distance into ebp.
func (d *upackDec) newDistance() error {
	d.eax--
	d.ebp, d.state[4], d.state[3] = d.state[4], d.state[3], d.ebp
	d.eax0 = d.eax
	d.edx = d.ebx + 0xbc0
	d.state[5] = d.ebp
	n, err := d.length(d.eax, &d.ecx, &d.edx)
	if err != nil {
		return err
	}
	slot, err := d.tree(1, 0x40, &d.edx, d.ebx+int64(min(n-1, 3)<<6)<<2+0x378)
	if err != nil {
		return err
	}
	d.eax, d.ecx, d.ebp = 0x40, n, slot
	if slot&0xff < 4 {
		d.ebp++
		return nil
	}
	nb := slot>>1 - 1
	d.ebp = (2 + slot&1) << (nb & 0xff)
	d.edx = d.ebx + int64(d.ebp)<<2 + 0x178
	if nb&0xff > 5 { // direct bits, then 4 aligned ones
		direct := nb&0xffffff00 | (nb&0xff-4)&0xff
		if direct > 32 {
			return errUpack
		}
		var v uint32
		for ; direct > 0; direct-- {
			code, err := d.b.u32(d.p0)
			if err != nil {
				return err
			}
			d.p1 >>= 1
			v <<= 1
			if bits.ReverseBytes32(code)-d.p2 >= d.p1 {
				v++
				d.p2 += d.p1
			}
			if d.p1&0xff000000 == 0 {
				d.p2 <<= 8
				d.p1 <<= 8
				d.p0++
			}
		}
		d.ebp += v << 4
		nb = 4
		d.edx = d.ebx + 0x18
	}
	if nb == 0 || nb > 32 {
		return errUpack
	}
	v, err := d.tree(1, 1<<nb, &d.edx, d.edx)
	if err != nil {
		return err
	}
	t := uint32(int32(v) >> 31) // the bits, reversed
	for ; nb > 0; nb-- {
		t = t*2 + v&1
		v >>= 1
	}
	d.ebp += t + 1
	return nil
}

// repeat picks one of the last distances into ebp and decodes a length
// into ecx, or (done) writes one byte from the last distance.
func (d *upackDec) repeat() (done bool, err error) {
	d.edx += int64(d.ecx)
	bit, err := d.bit(d.edx)
	if err != nil {
		return false, err
	}
	if bit != 0 {
		d.edx += 0x60
		if bit, err = d.bit(d.edx); err != nil {
			return false, err
		}
		if bit != 0 {
			d.edx += int64(d.ecx)
			if bit, err = d.bit(d.edx); err != nil {
				return false, err
			}
			d.ebp, d.state[4], d.state[3] = d.state[4], d.state[3], d.ebp
			if bit != 0 {
				d.ebp, d.state[5] = d.state[5], d.ebp
			}
		} else {
			d.ebp, d.state[3] = d.state[3], d.ebp
		}
	} else {
		d.edx += int64(d.ecx)
		if bit, err = d.bit(d.edx); err != nil {
			return false, err
		}
		if bit == 0 { // one byte from the last distance
			d.eax |= 1
			d.eax0 = d.eax
			d.ecx = d.ecx&0xffffff00 | 0x80
			c, err := d.b.at(d.edi - int64(d.state[2]))
			if err != nil || !d.b.in(d.edi, 1) {
				return false, errUpack
			}
			d.b[d.edi] = c
			d.edi++
			return true, nil
		}
	}
	d.eax0 = d.eax
	d.edx = d.ebx + 0x778
	n, err := d.length(d.eax, &d.ecx, &d.edx)
	if err != nil {
		return false, err
	}
	d.eax, d.ecx = d.ecx, n
	return false, nil
}
