package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// # 7z header walk
//
// bodgit/sevenzip sizes its tables from the counts in the archive header
// (files, folders, pack streams, coders, ...) before reading what they
// count, so a header that claims a billion files in twenty bytes makes it
// allocate and fill gigabytes. sevenZipHeaderCheck walks the same grammar
// first (7-Zip's 7zFormat.txt) and refuses any count that the bytes behind
// it cannot back, any property that runs past the header, and more files
// than the scan may emit. A packed ("encoded") header is decoded here,
// bounded, and walked too; 7-Zip packs headers with LZMA (LZMA2 accepted as
// well), and an encrypted header is left to the library, which stops at the
// missing password before reading any count.

// 7z property IDs.
const (
	sz7End               = 0x00
	sz7Header            = 0x01
	sz7ArchiveProperties = 0x02
	sz7AdditionalStreams = 0x03
	sz7MainStreams       = 0x04
	sz7FilesInfo         = 0x05
	sz7PackInfo          = 0x06
	sz7UnpackInfo        = 0x07
	sz7SubStreamsInfo    = 0x08
	sz7Size              = 0x09
	sz7CRC               = 0x0a
	sz7FolderID          = 0x0b
	sz7CodersUnpackSize  = 0x0c
	sz7NumUnpackStream   = 0x0d
	sz7EncodedHeader     = 0x17
)

const (
	sz7MaxCoders      = 64      // 7-Zip's own limit per folder
	sz7MaxStreams     = 64      // in or out streams of one coder
	sz7MaxHeader      = 1 << 26 // decoded header bytes
	sz7MaxHeaderRatio = 64      // decoded header bytes per archive byte
	sz7NoFileLimit    = 1 << 20 // files, when the scan sets no MaxFiles
)

var errSz7Header = errors.New("7z header")

// sz7Reader reads the header's primitives; the first error sticks.
type sz7Reader struct {
	b   []byte
	p   int
	err error
}

func (r *sz7Reader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w at byte %d: %s", errSz7Header, r.p, fmt.Sprintf(format, a...))
	}
}

func (r *sz7Reader) left() uint64 {
	if r.err != nil {
		return 0
	}
	return uint64(len(r.b) - r.p)
}

func (r *sz7Reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.p >= len(r.b) {
		r.fail("truncated")
		return 0
	}
	c := r.b[r.p]
	r.p++
	return c
}

// number reads a 7z NUMBER: the leading one bits of the first byte say how
// many little-endian bytes follow; the rest of the first byte are the top
// bits.
func (r *sz7Reader) number() uint64 {
	first := r.byte()
	var v uint64
	mask := byte(0x80)
	for i := 0; i < 8; i++ {
		if first&mask == 0 {
			return v | uint64(first&(mask-1))<<(8*i)
		}
		v |= uint64(r.byte()) << (8 * i)
		mask >>= 1
	}
	return v
}

// count reads a NUMBER that counts items and refuses it above limit.
func (r *sz7Reader) count(what string, limit uint64) uint64 {
	n := r.number()
	if r.err == nil && n > limit {
		r.fail("%d %s where at most %d fit", n, what, limit)
		return 0
	}
	return n
}

func (r *sz7Reader) skip(n uint64) {
	if r.err == nil && n > r.left() {
		r.fail("%d bytes past the end", n-r.left())
		return
	}
	r.p += int(n)
}

func (r *sz7Reader) expect(id byte) {
	if got := r.byte(); r.err == nil && got != id {
		r.fail("property %#x where %#x belongs", got, id)
	}
}

// bits reads a bit vector of n items and returns how many are set.
func (r *sz7Reader) bits(n uint64) uint64 {
	if (n+7)/8 > r.left() {
		r.fail("bit vector of %d past the end", n)
		return 0
	}
	var set uint64
	for i := uint64(0); i < n; i++ {
		if r.b[r.p+int(i/8)]&(0x80>>(i%8)) != 0 {
			set++
		}
	}
	r.p += int((n + 7) / 8)
	return set
}

// digests reads n optional CRCs and returns how many were defined.
func (r *sz7Reader) digests(n uint64) uint64 {
	defined := n
	if r.byte() == 0 {
		defined = r.bits(n)
	}
	r.skip(4 * defined)
	return defined
}

// sz7Folder is what the walk keeps of a folder: enough to decode a packed
// header.
type sz7Folder struct {
	coders   []sz7Coder
	outs     uint64 // total out streams = unpack sizes
	unpack   []uint64
	crc      bool
	packedIn uint64
}

type sz7Coder struct {
	id    []byte
	props []byte
}

// sz7Streams is a walked StreamsInfo.
type sz7Streams struct {
	packPos   uint64
	packSizes []uint64
	folders   []sz7Folder
}

func (r *sz7Reader) streamsInfo() *sz7Streams {
	s := &sz7Streams{}
	id := r.byte()
	if id == sz7PackInfo {
		s.packPos = r.number()
		n := r.count("pack streams", r.left())
		for id = r.byte(); id != sz7End && r.err == nil; id = r.byte() {
			switch id {
			case sz7Size:
				s.packSizes = make([]uint64, n)
				for i := range s.packSizes {
					s.packSizes[i] = r.number()
				}
			case sz7CRC:
				r.digests(n)
			default:
				r.fail("property %#x in pack info", id)
			}
		}
		id = r.byte()
	}
	if id == sz7UnpackInfo {
		r.expect(sz7FolderID)
		n := r.count("folders", r.left()/2)
		if r.byte() != 0 {
			r.fail("external folders")
			return s
		}
		s.folders = make([]sz7Folder, n)
		for i := range s.folders {
			s.folders[i] = r.folder()
		}
		r.expect(sz7CodersUnpackSize)
		for i := range s.folders {
			f := &s.folders[i]
			if f.outs > r.left() {
				r.fail("unpack sizes past the end")
				return s
			}
			f.unpack = make([]uint64, f.outs)
			for j := range f.unpack {
				f.unpack[j] = r.number()
			}
		}
		for id = r.byte(); id != sz7End && r.err == nil; id = r.byte() {
			if id != sz7CRC {
				r.fail("property %#x in unpack info", id)
				break
			}
			if r.byte() == 0 {
				p := r.p
				r.bits(uint64(len(s.folders)))
				for j := range s.folders {
					if r.err == nil && r.b[p+j/8]&(0x80>>(j%8)) != 0 {
						s.folders[j].crc = true
						r.skip(4)
					}
				}
			} else {
				for j := range s.folders {
					s.folders[j].crc = true
				}
				r.skip(4 * uint64(len(s.folders)))
			}
		}
		id = r.byte()
	}
	if id == sz7SubStreamsInfo {
		r.subStreams(s.folders)
		id = r.byte()
	}
	if r.err == nil && id != sz7End {
		r.fail("property %#x in streams info", id)
	}
	return s
}

func (r *sz7Reader) folder() sz7Folder {
	var f sz7Folder
	n := r.count("coders", sz7MaxCoders)
	if r.err == nil && n == 0 {
		r.fail("folder without coders")
	}
	var ins uint64
	for i := uint64(0); i < n && r.err == nil; i++ {
		flags := r.byte()
		if flags&0x80 != 0 {
			r.fail("alternative coder methods")
			break
		}
		c := sz7Coder{}
		size := uint64(flags & 0x0f)
		if size <= r.left() {
			c.id = r.b[r.p : r.p+int(size)]
		}
		r.skip(size)
		in, out := uint64(1), uint64(1)
		if flags&0x10 != 0 {
			in = r.count("coder in streams", sz7MaxStreams)
			out = r.count("coder out streams", sz7MaxStreams)
		}
		if flags&0x20 != 0 {
			size := r.number()
			if r.err == nil && size <= r.left() {
				c.props = r.b[r.p : r.p+int(size)]
			}
			r.skip(size)
		}
		ins += in
		f.outs += out
		f.coders = append(f.coders, c)
	}
	if r.err != nil {
		return f
	}
	if f.outs == 0 {
		r.fail("folder without out streams")
		return f
	}
	bind := f.outs - 1
	for i := uint64(0); i < bind; i++ {
		r.count("bind pair in index", ins)
		r.count("bind pair out index", f.outs)
	}
	if ins < bind {
		r.fail("more bind pairs than in streams")
		return f
	}
	f.packedIn = ins - bind
	if f.packedIn > 1 {
		for i := uint64(0); i < f.packedIn; i++ {
			r.count("packed stream index", ins)
		}
	}
	return f
}

func (r *sz7Reader) subStreams(folders []sz7Folder) {
	per := make([]uint64, len(folders))
	for i := range per {
		per[i] = 1
	}
	id := r.byte()
	var total uint64
	if id == sz7NumUnpackStream {
		for i := range per {
			// Every stream but a folder's last needs a size below, so the
			// bytes left bound the sum (plus one per folder).
			per[i] = r.count("substreams", r.left()+1)
			total += per[i]
			if r.err == nil && total > r.left()+uint64(len(folders)) {
				r.fail("%d substreams past the end", total)
				return
			}
		}
		id = r.byte()
	}
	if id == sz7Size {
		for i := range per {
			for j := uint64(1); j < per[i] && r.err == nil; j++ {
				r.number()
			}
		}
		id = r.byte()
	}
	var unknown uint64
	for i, n := range per {
		if n != 1 || !folders[i].crc {
			unknown += n
		}
	}
	for ; id != sz7End && r.err == nil; id = r.byte() {
		if id != sz7CRC {
			r.fail("property %#x in substreams info", id)
			return
		}
		r.digests(unknown)
	}
}

// propertyList walks "id, size, data" records up to kEnd; the id is a
// NUMBER in FilesInfo and a byte in ArchiveProperties, the same for every
// id below 0x80.
func (r *sz7Reader) propertyList() {
	for id := r.number(); id != sz7End && r.err == nil; id = r.number() {
		r.skip(r.number())
	}
}

// header walks a plain header (after its kHeader byte).
func (r *sz7Reader) header(maxFiles uint64) {
	id := r.byte()
	if id == sz7ArchiveProperties {
		r.propertyList()
		id = r.byte()
	}
	if id == sz7AdditionalStreams {
		r.streamsInfo()
		id = r.byte()
	}
	if id == sz7MainStreams {
		r.streamsInfo()
		id = r.byte()
	}
	if id == sz7FilesInfo {
		files := r.number()
		if r.err == nil && files > r.left() {
			r.fail("%d files in %d bytes", files, r.left())
			return
		}
		if r.err == nil && files > maxFiles {
			r.err = &LimitError{Limit: "MaxFiles", Detail: fmt.Sprintf("7z header lists %d files", files)}
			return
		}
		r.propertyList()
		id = r.byte()
	}
	if r.err == nil && id != sz7End {
		r.fail("property %#x in header", id)
	}
}

// sevenZipHeaderCheck walks the next header of a 7z archive d (signature
// and CRCs already checked by check7zHeaders).
func (x *run) sevenZipHeaderCheck(d []byte) error {
	off, size := binary.LittleEndian.Uint64(d[12:]), binary.LittleEndian.Uint64(d[20:])
	hdr := d[32+off : 32+off+size]
	maxFiles := uint64(sz7NoFileLimit)
	if x.b.maxFiles > 0 {
		maxFiles = uint64(x.b.maxFiles)
	}
	r := &sz7Reader{b: hdr}
	switch id := r.byte(); id {
	case sz7Header:
		r.header(maxFiles)
		return r.err
	case sz7EncodedHeader:
	default:
		if r.err == nil {
			r.fail("next header starts with %#x", id)
		}
		return r.err
	}
	s := r.streamsInfo()
	if r.err != nil {
		return r.err
	}
	plain, err := sz7DecodeHeader(d, s)
	if err != nil || plain == nil {
		return err
	}
	r = &sz7Reader{b: plain}
	r.expect(sz7Header)
	r.header(maxFiles)
	return r.err
}

// sz7DecodeHeader unpacks an encoded header described by s. It returns nil
// and no error when the header is encrypted: the library reports that
// itself before it reads a count.
func sz7DecodeHeader(d []byte, s *sz7Streams) ([]byte, error) {
	if len(s.folders) != 1 || len(s.packSizes) != 1 {
		return nil, fmt.Errorf("%w: encoded header in %d folders, %d pack streams", errSz7Header, len(s.folders), len(s.packSizes))
	}
	f := s.folders[0]
	for _, c := range f.coders {
		if bytes.Equal(c.id, []byte{0x06, 0xf1, 0x07, 0x01}) { // 7zAES
			return nil, nil
		}
	}
	if len(f.coders) != 1 || len(f.unpack) != 1 {
		return nil, fmt.Errorf("%w: encoded header with %d coders", errSz7Header, len(f.coders))
	}
	unpacked := f.unpack[0]
	if unpacked > sz7MaxHeader || unpacked > uint64(len(d))*sz7MaxHeaderRatio {
		return nil, fmt.Errorf("%w: encoded header unpacks to %d bytes from %d", errSz7Header, unpacked, len(d))
	}
	start, n := 32+s.packPos, s.packSizes[0]
	if s.packPos > uint64(len(d)) || n > uint64(len(d)) || start > uint64(len(d))-n {
		return nil, fmt.Errorf("%w: packed header outside file", errSz7Header)
	}
	packed := bytes.NewReader(d[start : start+n])
	c := f.coders[0]
	var rd io.Reader
	switch {
	case bytes.Equal(c.id, []byte{0x03, 0x01, 0x01}) && len(c.props) == 5: // LZMA
		// The dictionary never needs to exceed the output; a forged
		// dictionary size must not make the decoder allocate it.
		dict := min(uint64(binary.LittleEndian.Uint32(c.props[1:])), max(unpacked, 4096))
		var h [13]byte
		h[0] = c.props[0]
		binary.LittleEndian.PutUint32(h[1:], uint32(dict))
		binary.LittleEndian.PutUint64(h[5:], unpacked)
		lr, err := lzma.NewReader(io.MultiReader(bytes.NewReader(h[:]), packed))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errSz7Header, err)
		}
		rd = lr
	case bytes.Equal(c.id, []byte{0x21}) && len(c.props) == 1: // LZMA2
		cfg := lzma.Reader2Config{DictCap: int(min(max(unpacked, 4096), 1<<30))}
		lr, err := cfg.NewReader2(packed)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errSz7Header, err)
		}
		rd = lr
	default:
		return nil, fmt.Errorf("%w: header coder %x not supported", errSz7Header, c.id)
	}
	out := make([]byte, unpacked)
	if _, err := io.ReadFull(rd, out); err != nil {
		return nil, fmt.Errorf("%w: packed header: %v", errSz7Header, err)
	}
	return out, nil
}
