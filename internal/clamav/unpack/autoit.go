package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
)

// # AutoIt compiled scripts
//
// Aut2Exe appends the script and every FileInstall'd file to a stub PE
// (in the overlay or a resource, possibly behind UPX) after a 16-byte
// marker and "AU3!EA05" or "AU3!EA06". ClamAV's libclamav/autoit.c
// reads both generations; so does this file. After the marker come 16
// bytes (EA05 sums them into its key; EA06 ignores them), then entries:
//
//	u32 magic ("FILE" encrypted: EA05 0xCEB06DFF, EA06 0x52CA436B)
//	u32 n ^ k1, n bytes   the entry's tag (">>>AUTOIT SCRIPT<<<", a path)
//	u32 n ^ k2, n bytes   the original file name
//	u8  compressed
//	u32 csize ^ k3, u32 usize ^ k3, u32 checksum ^ k4, 16 bytes of times
//	csize bytes of data
//
// EA06 counts both strings in UTF-16 units. Strings and data are XORed
// with a key stream: EA05 uses MT19937 (seeded by the length plus a
// constant for strings, 0x22AF plus the marker sum for data), EA06 a
// RanRot-style generator (autoitLame). Compressed data starts with "EA05"
// or "EA06" and the big-endian output size, then an MSB-first bit stream
// of 16-bit big-endian words: a flag bit picks a literal byte or a match
// (15-bit distance, then a length coded in growing 2/3/5/8-bit fields,
// each all-ones field extending it); EA05 and EA06 give the flag
// opposite meanings. Each entry is a member, the EA06 script as its token
// stream decompiled to text (autoit_script.go). Entries that do not
// decode end the walk; what was decoded is emitted.

// autoitMarker precedes "AU3!EA0" and the version digit.
var autoitMarker = []byte("\xa3\x48\x4b\xbe\x98\x6c\x4a\xa9\x99\x4c\x53\x0a\x86\xd6\x48\x7dAU3!EA0")

// autoitMaxScripts bounds how many markers one file is searched from.
const autoitMaxScripts = 4

// autoitGen holds the constants that tell EA05 from EA06.
type autoitGen struct {
	fileMagic      uint32
	tagKey, repKey uint32 // XORed into the two string lengths
	tagSeed        uint32 // the tag's key seed is its length plus this
	nameSeed       uint32
	sizeKey        uint32 // XORed into csize and usize
	dataMagic      string // compressed data starts with it
	wide           bool   // strings are UTF-16LE, lengths in units
	matchFlag      uint32 // flag bit value that announces a match
}

var (
	autoitEA05 = autoitGen{fileMagic: 0xceb06dff, tagKey: 0x29bc, repKey: 0x29ac, tagSeed: 0xa25e,
		nameSeed: 0xf25e, sizeKey: 0x45aa, dataMagic: "EA05", matchFlag: 1}
	autoitEA06 = autoitGen{fileMagic: 0x52ca436b, tagKey: 0xadbc, repKey: 0xf820, tagSeed: 0xb33f,
		nameSeed: 0xf479, sizeKey: 0x87bc, dataMagic: "EA06", wide: true, matchFlag: 0}
)

// autoit extracts the scripts embedded anywhere in d (a PE stub). Only a
// limit or the emit callback stops it with an error: a broken script is
// not a broken PE.
func (x *run) autoit(ctx context.Context, d []byte) error {
	for n, off := 0, 0; n < autoitMaxScripts; n++ {
		i := bytes.Index(d[off:], autoitMarker)
		if i < 0 {
			return nil
		}
		off += i + len(autoitMarker)
		if err := x.autoitScript(ctx, d[off:]); err != nil {
			return err
		}
	}
	return nil
}

// autoitScript walks the entries after "AU3!EA0"; d starts at the
// version digit. It returns only limit errors and emit's.
func (x *run) autoitScript(ctx context.Context, d []byte) error {
	if len(d) < 17 {
		return nil
	}
	var g *autoitGen
	switch d[0] {
	case '5':
		g = &autoitEA05
	case '6':
		g = &autoitEA06
	default:
		return nil
	}
	var sum uint32
	for _, c := range d[1:17] {
		sum += uint32(c)
	}
	dataSeed := uint32(0x2477) // QUIRK: EA06 ignores the marker sum (ClamAV calls this broken by design)
	if g == &autoitEA05 {
		dataSeed = 0x22af + sum
	}
	le := binary.LittleEndian
	p := 17
	for {
		if err := x.check(ctx); err != nil {
			return err
		}
		if p+8 > len(d) || le.Uint32(d[p:]) != g.fileMagic {
			return nil
		}
		p += 4
		tag, next, ok := autoitString(d, p, g.tagKey, g.tagSeed, g)
		if !ok {
			return nil
		}
		p = next
		name, next, ok := autoitString(d, p, g.repKey, g.nameSeed, g)
		if !ok {
			return nil
		}
		p = next
		if p+29 > len(d) {
			return nil
		}
		comp := d[p]
		csize := le.Uint32(d[p+1:]) ^ g.sizeKey
		p += 29
		if csize == 0 {
			continue
		}
		if int64(csize) > int64(len(d)-p) {
			return nil // truncated
		}
		body := append([]byte(nil), d[p:p+int(csize)]...)
		p += int(csize)
		if g.wide {
			autoitLameXOR(body, dataSeed)
		} else {
			autoitMTXOR(body, dataSeed)
		}
		if name == "" {
			name = "autoit"
		}
		if tag == ">>>AUTOIT SCRIPT<<<" {
			name = "autoit-script"
		}
		out := body
		if comp == 1 {
			if len(body) < 8 || string(body[:4]) != g.dataMagic {
				continue // another version or not ours: ClamAV skips it too
			}
			var err error
			out, err = x.autoitInflate(ctx, body, g.matchFlag) // a corrupt stream still yields what it decoded
			if err != nil && errorsIsLimit(err) {
				return err
			}
		} else if err := x.grow(int64(len(body))); err != nil {
			return err
		}
		if len(out) < 4 {
			continue
		}
		if g.wide && tag == ">>>AUTOIT SCRIPT<<<" {
			out = autoitScriptText(out, x.fileCap())
			if err := x.grow(int64(len(out))); err != nil {
				return err
			}
		}
		if err := x.put(ctx, Entry{Name: name, Data: out}); err != nil {
			return err
		}
	}
}

// autoitString skips one length-prefixed encrypted string at p and
// returns it decrypted when short enough to be a name (else "").
func autoitString(d []byte, p int, lenKey, seed uint32, g *autoitGen) (string, int, bool) {
	if p+4 > len(d) {
		return "", 0, false
	}
	n := int64(binary.LittleEndian.Uint32(d[p:]) ^ lenKey)
	units := n
	if g.wide {
		n *= 2
	}
	p += 4
	if n > int64(len(d)-p) {
		return "", 0, false
	}
	s := ""
	if n <= 1024 {
		b := append([]byte(nil), d[p:p+int(n)]...)
		if g.wide {
			autoitLameXOR(b, uint32(uint16(units)+uint16(seed))) // QUIRK: EA06 seeds are 16-bit
			s = autoitNarrow(b)
		} else {
			autoitMTXOR(b, uint32(n)+seed)
			s = string(b)
		}
		s = strings.ToValidUTF8(strings.TrimRight(s, "\x00"), "?")
	}
	return s, p + int(n), true
}

// autoitNarrow keeps the low byte of each UTF-16LE unit.
func autoitNarrow(b []byte) string {
	out := make([]byte, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		out = append(out, b[i])
	}
	return string(out)
}

// autoitInflate decodes the "EA05"/"EA06" stream in b (magic, big-endian
// size, bit stream). A corrupt stream returns what was decoded and an
// error.
func (x *run) autoitInflate(ctx context.Context, b []byte, matchFlag uint32) ([]byte, error) {
	usize := int64(binary.BigEndian.Uint32(b[4:]))
	if usize == 0 {
		usize = int64(len(b)) // QUIRK: as ClamAV, for crafted or corrupt headers
	}
	if usize > x.fileCap() {
		return nil, &LimitError{Limit: "MaxFileSize", Detail: fmt.Sprintf("autoit member of %d bytes", usize)}
	}
	out := make([]byte, 0, min(usize, readChunk*16))
	br := autoitBits{in: b[8:]}
	paid := 0
	for int64(len(out)) < usize && !br.bad {
		if len(out)-paid >= readChunk {
			if err := x.check(ctx); err != nil {
				return nil, err
			}
			if err := x.grow(int64(len(out) - paid)); err != nil {
				return nil, err
			}
			paid = len(out)
		}
		if br.get(1) != matchFlag {
			c := br.get(8)
			if br.bad {
				break
			}
			out = append(out, byte(c))
			continue
		}
		dist := int(br.get(15))
		n := br.get(2)
		add := uint32(0)
		if n == 3 {
			add, n = 3, br.get(3)
			if n == 7 {
				add, n = 10, br.get(5)
				if n == 31 {
					add, n = 41, br.get(8)
					if n == 255 {
						add = 296
						for n = br.get(8); n == 255 && !br.bad; n = br.get(8) {
							add += 255
						}
					}
				}
			}
		}
		length := int64(n) + 3 + int64(add)
		if br.bad || dist == 0 || dist > len(out) || int64(len(out))+length > usize {
			br.bad = true
			break
		}
		for from := len(out) - dist; length > 0; length-- {
			out = append(out, out[from])
			from++
		}
	}
	if err := x.grow(int64(len(out) - paid)); err != nil {
		return nil, err
	}
	if br.bad {
		return out, fmt.Errorf("autoit: corrupt stream after %d bytes", len(out))
	}
	return out, nil
}

// autoitBits reads bits MSB first from 16-bit big-endian words.
type autoitBits struct {
	in    []byte
	pos   int
	word  uint32 // unread bits, left-aligned in the low 16
	avail int
	bad   bool
}

// get returns the next n (≤ 16) bits; running out sets bad and returns 0.
func (r *autoitBits) get(n int) uint32 {
	var v uint32
	for ; n > 0; n-- {
		if r.avail == 0 {
			if r.pos+2 > len(r.in) {
				r.bad = true
				return 0
			}
			r.word = uint32(r.in[r.pos])<<8 | uint32(r.in[r.pos+1])
			r.pos += 2
			r.avail = 16
		}
		r.avail--
		v = v<<1 | (r.word>>r.avail)&1
	}
	return v
}

// autoitMTXOR XORs b with EA05's key stream: MT19937 seeded with seed,
// each output word tempered and shifted right by one, low byte kept.
func autoitMTXOR(b []byte, seed uint32) {
	var mt [624]uint32
	mt[0] = seed
	for i := uint32(1); i < 624; i++ {
		mt[i] = 0x6c078965*(mt[i-1]^mt[i-1]>>30) + i
	}
	idx := 624
	for i := range b {
		if idx == 624 {
			for k := 0; k < 624; k++ {
				y := mt[k]&0x80000000 | mt[(k+1)%624]&0x7fffffff
				v := mt[(k+397)%624] ^ y>>1
				if y&1 != 0 {
					v ^= 0x9908b0df
				}
				mt[k] = v
			}
			idx = 0
		}
		y := mt[idx]
		idx++
		y ^= y >> 11
		y ^= y << 7 & 0x9d2c5680
		y ^= y << 15 & 0xefc60000
		y ^= y >> 18
		b[i] ^= byte(y >> 1)
	}
}

// autoitLameXOR XORs b with EA06's key stream. The generator is a lagged
// rotate-and-add over 17 words; ClamAV turns each word into the double
// 1+w/2^32, subtracts 1 and scales by 256, which is exactly w>>24.
func autoitLameXOR(b []byte, seed uint32) {
	var g [17]uint32
	for i := range g {
		seed = 1 - seed*0x53a9b4fb
		g[i] = seed
	}
	c0, c1 := 0, 10
	next := func() uint32 {
		w := bits.RotateLeft32(g[c0], 9) + bits.RotateLeft32(g[c1], 13)
		g[c0] = w
		c0, c1 = (c0+16)%17, (c1+16)%17
		return w
	}
	for range 9 {
		next()
	}
	for i := range b {
		next()
		b[i] ^= byte(next() >> 24)
	}
}
