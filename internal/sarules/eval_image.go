package sarules

import (
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
)

// # ImageInfo
//
// The ImageInfo plugin's evals: image_count, pixel_coverage,
// image_to_text_ratio, image_size_exact, image_size_range, image_named and
// image_name_regex. Like the plugin, they look at the base64-encoded
// image/gif, image/png and image/jp(e)g leaves only, read each image's
// dimensions from its own bytes (the GIF screen descriptor, the PNG IHDR
// chunk, the first JPEG start-of-frame marker) and keep the plugin's
// quirks: a part counts even when its dimensions are unreadable, the PNG
// walk steps 8 bytes at a time (chunk bodies are not skipped), a JPEG's
// segment walk stops at the first byte that is not 0xFF, and the
// dimensions are kept as "HEIGHTxWIDTH".

// imageInfo is ImageInfo's _get_images over one message.
type imageInfo struct {
	count map[string]int     // count_TYPE: gif, png, jpeg, all
	pc    map[string]float64 // pc_TYPE: the pixels covered
	// dems[TYPE] are the "HEIGHTxWIDTH" of the images with both, nil
	// (the Perl's missing key) when there are none; dems["all"] too
	dems map[string]map[string]bool
	// names of the images with dimensions that have a name; nil when none
	names map[string]bool
}

// imageTypes are get_details' types.
var imageTypes = []string{"gif", "png", "jpeg"}

// miscState is the per-message state of the evals of eval_image.go and
// eval_misc.go, created on first use.
type miscState struct {
	images     *imageInfo
	b64Len     int
	b64LenDone bool
	blank      map[int]float64 // check_blank_line_ratio by minlines
	stockDone  bool
	stock      int
}

func (p *pms) miscState() *miscState {
	if p.misc == nil {
		p.misc = &miscState{}
	}
	return p.misc
}

func (p *pms) imageInfo() *imageInfo {
	st := p.miscState()
	if st.images == nil {
		st.images = getImages(p.m)
	}
	return st.images
}

var imagePartTypeRe = regexp.MustCompile(`^image/(?:gif|png|jpe?g)$`)

func getImages(m *Message) *imageInfo {
	ii := &imageInfo{count: map[string]int{}, pc: map[string]float64{}, dems: map[string]map[string]bool{}}
	for _, t := range append([]string{"all"}, imageTypes...) {
		ii.count[t], ii.pc[t] = 0, 0
	}
	for _, part := range m.Parts {
		ct, _ := lastHeaderValue(part.Header, "content-type")
		typ := saMediaType(ct)
		if !imagePartTypeRe.MatchString(typ) {
			continue
		}
		// make sure it's base64 encoded: /^base64$/ on the lower-cased
		// value (the trimmed last field)
		cte, _ := lastHeaderValue(part.Header, "content-transfer-encoding")
		if lowerASCII(cte) != "base64" {
			continue
		}
		t := typ[len("image/"):]
		if t == "jpg" {
			t = "jpeg"
		}
		data := saBase64Decode(part.Raw)
		var h, w uint64
		var ok bool
		switch t {
		case "gif":
			h, w, ok = gifDims(data)
		case "png":
			h, w, ok = pngDims(data)
		case "jpeg":
			h, w, ok = jpegDims(data)
		}
		if ok && h != 0 && w != 0 {
			ii.pc[t] += float64(h) * float64(w)
			if ii.dems[t] == nil {
				ii.dems[t] = map[string]bool{}
			}
			ii.dems[t][strconv.FormatUint(h, 10)+"x"+strconv.FormatUint(w, 10)] = true
			if name := partName(part.Header); name != "" && name != "0" {
				if ii.names == nil {
					ii.names = map[string]bool{}
				}
				ii.names[name] = true
			}
		}
		ii.count[t]++
	}
	for _, t := range imageTypes {
		ii.pc["all"] += ii.pc[t]
		ii.count["all"] += ii.count[t]
		for d := range ii.dems[t] {
			if ii.dems["all"] == nil {
				ii.dems["all"] = map[string]bool{}
			}
			ii.dems["all"][d] = true
		}
	}
	return ii
}

// gifDims: "GIF87a" or "GIF89a", then the screen width and height,
// little-endian (the plugin decodes the first 13 bytes only).
func gifDims(data []byte) (h, w uint64, ok bool) {
	if len(data) > 13 {
		data = data[:13]
	}
	if len(data) < 6 || string(data[:4]) != "GIF8" || data[4] != '7' && data[4] != '9' || data[5] != 'a' {
		return 0, 0, false
	}
	d := data[6:]
	if len(d) < 4 {
		return 0, 0, false // unpack("vv") leaves the height undefined
	}
	return uint64(binary.LittleEndian.Uint16(d[2:])), uint64(binary.LittleEndian.Uint16(d)), true
}

// pngDims: the PNG signature, then chunk headers read every 8 bytes
// (QUIRK: the plugin does not skip a chunk's data) until IEND or an IHDR
// of length 13, whose width and height it reads.
func pngDims(data []byte) (h, w uint64, ok bool) {
	if len(data) < 8 || string(data[:8]) != "\x89PNG\r\n\x1a\n" {
		return 0, 0, false
	}
	for pos := 8; pos < len(data); {
		hdr := data[pos:min(pos+8, len(data))]
		pos += 8
		if len(hdr) < 8 {
			// unpack("Na4") of a short string: no length, a short type
			if string(hdr[min(4, len(hdr)):]) == "IEND" {
				break
			}
			continue
		}
		typ := string(hdr[4:8])
		if typ == "IEND" {
			break
		}
		if typ != "IHDR" || binary.BigEndian.Uint32(hdr) != 13 {
			continue
		}
		b := data[min(pos, len(data)):min(pos+17, len(data))]
		// substr($bytes, -4, 4, "") drops the CRC (all of a shorter string)
		b = b[:max(len(b)-4, 0)]
		if len(b) < 8 {
			return 0, 0, false // unpack("NN") leaves one undefined
		}
		return uint64(binary.BigEndian.Uint32(b[4:])), uint64(binary.BigEndian.Uint32(b)), true
	}
	return 0, 0, false
}

// jpegDims: the SOI marker, then the segments (0xFF, marker, big-endian
// length) until SOS or EOI; the first start-of-frame segment gives the
// height and width.
func jpegDims(data []byte) (h, w uint64, ok bool) {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return 0, 0, false
	}
	pos := 2
	for {
		if pos+4 > len(data) {
			return 0, 0, false // unpack("CCn") leaves one undefined
		}
		xx, mark, n := data[pos], data[pos+1], int(binary.BigEndian.Uint16(data[pos+2:]))
		if xx != 0xFF || mark == 0xDA || mark == 0xD9 || n < 2 {
			return 0, 0, false
		}
		pos += 4
		block := data[min(pos, len(data)):min(pos+n-2, len(data))]
		if mark >= 0xC0 && mark <= 0xC3 || mark >= 0xC5 && mark <= 0xC7 ||
			mark >= 0xC9 && mark <= 0xCB || mark >= 0xCD && mark <= 0xCF {
			if len(block) < 5 {
				return 0, 0, false
			}
			return uint64(binary.BigEndian.Uint16(block[1:])), uint64(binary.BigEndian.Uint16(block[3:])), true
		}
		pos += len(block)
	}
}

// lastHeaderValue is Node::header(name) in scalar context: the decoded
// value of the last field so named; false if there is none.
func lastHeaderValue(hdr []Field, name string) (string, bool) {
	v, ok := "", false
	for _, f := range hdr {
		if strings.EqualFold(f.Name, name) {
			v, ok = f.Value, true
		}
	}
	return v, ok
}

var (
	ctTypeRe      = regexp.MustCompile(`^([^/]+(?:/[^/\t\n\v\f\r ]*)?)`)
	ctTextRe      = regexp.MustCompile(`^text\b`)
	ctTextKeepRe  = regexp.MustCompile(`^text/(?:x-vcard|calendar|html)$`)
	ctNameRe      = regexp.MustCompile(`(?i)\b(?:file)?name[\t\n\v\f\r ]*=[\t\n\v\f\r ]*["']?(.*?)["']?(?:;|$)`)
	ctName2231Re  = regexp.MustCompile(`(?i)\b(?:file)?name\*0[\t\n\v\f\r ]*=`)
	ctNamePartsRe = regexp.MustCompile(`(?i)\b(?:file)?name\*(\d+)[\t\n\v\f\r ]*=[\t\n\v\f\r ]*["']?(.*?)["']?(?:;|$)`)
	dispNameRe    = regexp.MustCompile(`(?i)name=[\t\n\v\f\r ]*"?([^";]+)"?`)
)

// saMediaType is the MIME type Util::parse_content_type reads from a
// Content-Type value ("" = missing): up to the first ';', the first
// type/subtype, lower case, text/* other than html, calendar and x-vcard
// as text/plain, then without controls, spaces, 8-bit bytes and tspecials.
func saMediaType(ct string) string {
	if ct == "" || ct == "0" {
		return "text/plain"
	}
	ct = strings.TrimLeft(ct, " \t\n\v\f\r")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if m := ctTypeRe.FindString(ct); m != "" {
		ct = m
	}
	ct = lowerASCII(ct)
	if ct == "" || ctTextRe.MatchString(ct) && !ctTextKeepRe.MatchString(ct) {
		ct = "text/plain"
	}
	return strings.Map(func(r rune) rune {
		if r <= 0x20 || r >= 0x7f || strings.ContainsRune("\"(),:;<=>?@[\\]", r) {
			return -1
		}
		return r
	}, latin1Runes(ct))
}

// latin1Runes reads s as octets, one rune per byte, for strings.Map to
// see every byte (it is mapped back by dropping every byte >= 0x7f).
func latin1Runes(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			r := make([]rune, len(s))
			for k := 0; k < len(s); k++ {
				r[k] = rune(s[k])
			}
			return string(r)
		}
	}
	return s
}

// partName is the name _parse_normal gives a leaf: the Content-Disposition
// name= (filename= too), else the Content-Type's name or filename,
// RFC 2231 continuations joined.
func partName(hdr []Field) string {
	disp, _ := lastHeaderValue(hdr, "content-disposition")
	if m := dispNameRe.FindStringSubmatch(disp); m != nil {
		return m[1]
	}
	ct, _ := lastHeaderValue(hdr, "content-type")
	if ct == "" || ct == "0" {
		return ""
	}
	if m := ctNameRe.FindStringSubmatch(ct); m != nil && m[1] != "" && m[1] != "0" {
		return m[1]
	}
	if !ctName2231Re.MatchString(ct) {
		return ""
	}
	parts := map[int]string{}
	maxIdx := -1
	for _, m := range ctNamePartsRe.FindAllStringSubmatch(ct, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 1000 {
			continue
		}
		parts[n] = m[2]
		maxIdx = max(maxIdx, n)
	}
	var b strings.Builder
	for i := 0; i <= maxIdx; i++ {
		b.WriteString(parts[i])
	}
	return b.String()
}

// saBase64Decode is Util::base64_decode. Blanks go first. A text of whole
// quads of base64 characters and '=' is decoded by MIME::Base64 with
// every '=' but the final ones read as 'A' (0 bits); anything else has
// its other characters and final '='s removed, each '=' left read as
// '/' (QUIRK: the uudecode table maps it there), a last lone character
// dropped, and is decoded as far as its characters go.
func saBase64Decode(raw []byte) []byte {
	s := make([]byte, 0, len(raw))
	for _, c := range raw {
		if !isSpaceByte(c) {
			s = append(s, c)
		}
	}
	quads := len(s) >= 2 && len(s)%4 == 0
	for _, c := range s {
		if quads && b64Value(c) < 0 && c != '=' {
			quads = false
		}
	}
	if quads {
		return b64DecodeQuads(s)
	}
	return b64DecodeLoose(s)
}

// b64DecodeQuads is saBase64Decode's MIME::Base64 path: whole quads of
// base64 characters and '='.
func b64DecodeQuads(s []byte) []byte {
	out := make([]byte, 0, len(s)*3/4)
	end := len(s)
	for end > 0 && s[end-1] == '=' {
		end--
	}
	const eq = 64
	vals := make([]int, len(s))
	for i, c := range s {
		switch {
		case c != '=':
			vals[i] = b64Value(c)
		case i < end:
			vals[i] = 0 // s/(=+)(?!=*$)/'A' x length($1)/ge
		default:
			vals[i] = eq
		}
	}
	for i := 0; i+4 <= len(vals); i += 4 {
		c := vals[i : i+4]
		if c[0] == eq || c[1] == eq {
			break
		}
		out = append(out, byte(c[0]<<2|(c[1]&0x30)>>4))
		if c[2] == eq {
			break
		}
		out = append(out, byte((c[1]&0x0F)<<4|(c[2]&0x3C)>>2))
		if c[3] == eq {
			break
		}
		out = append(out, byte((c[2]&0x03)<<6|c[3]))
	}
	return out
}

// b64DecodeLoose is saBase64Decode's other path (the uudecode table).
func b64DecodeLoose(s []byte) []byte {
	out := make([]byte, 0, len(s)*3/4)
	vals := make([]int, 0, len(s))
	for _, c := range s {
		if v := b64Value(c); v >= 0 {
			vals = append(vals, v)
		} else if c == '=' {
			vals = append(vals, -1)
		}
	}
	for len(vals) > 0 && vals[len(vals)-1] == -1 {
		vals = vals[:len(vals)-1]
	}
	for i := range vals {
		if vals[i] == -1 {
			vals[i] = 63
		}
	}
	if len(vals)%4 == 1 {
		vals = vals[:len(vals)-1]
	}
	var acc, bits int
	for _, v := range vals {
		acc = acc<<6 | v
		bits += 6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
			acc &= 1<<bits - 1
		}
	}
	return out
}

// b64Value is a base64 character's value, -1 for any other byte.
func b64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// resultCheck is ImageInfo's result_check: min <= v <= max (no max:
// unbounded), and with noMaxEqual not v == max.
func resultCheck(min float64, max *float64, v float64, noMaxEqual bool) bool {
	if v < min || max != nil && v > *max {
		return false
	}
	// (Perl compares with an undefined max as 0)
	if noMaxEqual {
		m := 0.0
		if max != nil {
			m = *max
		}
		if v == m {
			return false
		}
	}
	return true
}

// optArg is argument i as a Perl number, nil when it was not given.
func optArg(a []string, i int) *float64 {
	if i >= len(a) {
		return nil
	}
	v := perlNum(a[i])
	return &v
}

var imageEvals = map[string]evalFunc{
	"image_count": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		ii := p.imageInfo()
		n, ok := ii.count[a[0]]
		if !ok {
			return 0 // an unknown type: undefined
		}
		return btoi(resultCheck(perlNum(a[1]), optArg(a, 2), float64(n), false))
	},
	"pixel_coverage": func(p *pms, r *Rule, a []string) int {
		if len(a) < 2 {
			return 0
		}
		ii := p.imageInfo()
		if _, ok := ii.count[a[0]]; !ok {
			return 0
		}
		return btoi(resultCheck(perlNum(a[1]), optArg(a, 2), ii.pc[a[0]], false))
	},
	"image_to_text_ratio": func(p *pms, r *Rule, a []string) int {
		if len(a) < 3 {
			return 0
		}
		ii := p.imageInfo()
		// the text is the rule's: rendered body lines for body, decoded
		// text parts for rawbody (the Subject line counts for body)
		lines := p.m.body
		if r.Type == TypeRawbody {
			lines = p.m.rawbody
		}
		n := 0
		for _, l := range lines {
			n += len(l)
		}
		pc := ii.pc[a[0]]
		if n == 0 || pc <= 0 {
			return 0
		}
		return btoi(resultCheck(perlNum(a[1]), optArg(a, 2), float64(n)/pc, true))
	},
	"image_size_exact": func(p *pms, r *Rule, a []string) int {
		if len(a) < 3 {
			return 0
		}
		return btoi(p.imageInfo().dems[a[0]][a[1]+"x"+a[2]])
	},
	"image_size_range": func(p *pms, r *Rule, a []string) int {
		if len(a) < 3 {
			return 0
		}
		minH, minW := perlNum(a[1]), perlNum(a[2])
		maxH, maxW := optArg(a, 3), optArg(a, 4)
		for d := range p.imageInfo().dems[a[0]] {
			hs, ws, _ := strings.Cut(d, "x")
			h, _ := strconv.ParseFloat(hs, 64)
			w, _ := strconv.ParseFloat(ws, 64)
			if h < minH || w < minW || maxH != nil && h > *maxH || maxW != nil && w > *maxW {
				continue
			}
			return 1
		}
		return 0
	},
	"image_named": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		return btoi(p.imageInfo().names[a[0]])
	},
	"image_name_regex": func(p *pms, r *Rule, a []string) int {
		if len(a) < 1 {
			return 0
		}
		names := p.imageInfo().names
		if len(names) == 0 {
			return 0
		}
		// $name =~ /$re/: the argument is the pattern, no flags
		re, err := compilePattern("/"+a[0]+"/", a[0], "")
		if err != nil {
			return 0
		}
		for name := range names {
			if re.Match(name, "") {
				return 1
			}
		}
		return 0
	},
}
