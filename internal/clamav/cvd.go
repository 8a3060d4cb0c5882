package clamav

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"path"
	"strconv"
	"strings"
)

// # CVD/CLD container format
//
// A .cvd file is a 512-byte ASCII header, padded with spaces,
//
//	ClamAV-VDB:TIME:VERSION:SIGS:FLEVEL:MD5:DSIG:BUILDER:STIME
//
// followed by a gzip-compressed tar of database files (main.ndb,
// daily.hdb, ...). MD5 is the hex MD5 of everything after the header. DSIG
// is that MD5 signed with ClamAV's RSA key in its own scheme (dsig.go). A
// .cld is what freshclam writes after applying incremental updates: the
// same header over a tar that may or may not be compressed.
//
// QUIRK: a .cld's MD5 and DSIG describe the .cvd it was built from, not its
// own body, so ClamAV checks neither; neither does this loader.

const cvdHeaderLen = 512

// maxCVDMember bounds one decompressed database file inside a container;
// ClamAV's largest (main.hdb) is well under it.
const maxCVDMember = 1 << 30

type cvdHeader struct {
	time    string
	version int
	sigs    int
	flevel  int
	md5     string
	dsig    string
	builder string
	stime   int64
}

func parseCVDHeader(h []byte) (cvdHeader, error) {
	var c cvdHeader
	if len(h) < cvdHeaderLen {
		return c, errors.New("short header")
	}
	s := strings.TrimRight(string(h[:cvdHeaderLen]), " \x00\n")
	f := strings.Split(s, ":")
	if len(f) < 8 || f[0] != "ClamAV-VDB" {
		return c, errors.New("not a ClamAV-VDB header")
	}
	var err error
	c.time = f[1]
	if c.version, err = strconv.Atoi(f[2]); err != nil {
		return c, fmt.Errorf("bad version %q", f[2])
	}
	if c.sigs, err = strconv.Atoi(f[3]); err != nil {
		return c, fmt.Errorf("bad signature count %q", f[3])
	}
	if c.flevel, err = strconv.Atoi(f[4]); err != nil {
		return c, fmt.Errorf("bad flevel %q", f[4])
	}
	c.md5, c.dsig, c.builder = f[5], f[6], f[7]
	if len(f) > 8 {
		c.stime, _ = strconv.ParseInt(f[8], 10, 64)
	}
	return c, nil
}

// cvdFile is one database file of a container.
type cvdFile struct {
	name string
	data []byte
}

// openCVD checks a container and returns its header and database files.
// signed is true for .cvd (MD5 and digital signature verified).
func openCVD(data []byte, signed bool) (cvdHeader, []cvdFile, error) {
	h, err := parseCVDHeader(data)
	if err != nil {
		return h, nil, err
	}
	body := data[cvdHeaderLen:]
	if signed {
		sum := md5.Sum(body)
		if got := hex.EncodeToString(sum[:]); got != strings.ToLower(h.md5) {
			return h, nil, fmt.Errorf("MD5 mismatch: header %s, body %s", h.md5, got)
		}
		if err := verifyDsig(h.md5, h.dsig); err != nil {
			return h, nil, err
		}
	}
	var r io.Reader = bytes.NewReader(body)
	if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return h, nil, fmt.Errorf("gzip: %w", err)
		}
		r = zr
	}
	files, err := readTar(r)
	return h, files, err
}

func readTar(r io.Reader) ([]cvdFile, error) {
	var files []cvdFile
	tr := tar.NewReader(r)
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return files, fmt.Errorf("tar: %w", err)
		}
		if hd.Typeflag != tar.TypeReg && hd.Typeflag != tar.TypeRegA {
			continue
		}
		if hd.Size > maxCVDMember {
			return files, fmt.Errorf("tar member %s: %d bytes", hd.Name, hd.Size)
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxCVDMember))
		if err != nil {
			return files, fmt.Errorf("tar member %s: %w", hd.Name, err)
		}
		files = append(files, cvdFile{name: path.Base(hd.Name), data: b})
	}
}

// # Digital signature
//
// ClamAV signs the hex MD5 with a 1024-bit RSA key of its own. DSIG is a
// number written little-endian in base 64, six bits per character, with
// the alphabet a-z A-Z 0-9 + /. Raising it to the public exponent modulo
// the public modulus gives a number whose low 16 bytes, most significant
// first, are the MD5.

// cvdModulus and cvdExponent are ClamAV's published database signing key
// (libclamav, dsig.c).
var (
	cvdModulus, _ = new(big.Int).SetString("1186409955516453426030700016584531897515277744120277437465994057432431426074641447673610606406558447497607888900222834249227624889175655510024677711096695981894104346990345322322286215910895081785914284562207968416216371755675904766669286987701433281373839528203831975320477717801965769576958226412242626930"+"37", 10)
	cvdExponent   = big.NewInt(100001027)
)

func verifyDsig(md5hex, dsig string) error {
	return verifyDsigWith(cvdModulus, cvdExponent, md5hex, dsig)
}

func verifyDsigWith(n, e *big.Int, md5hex, dsig string) error {
	if len(md5hex) != 32 {
		return errors.New("digital signature: malformed MD5")
	}
	if len(dsig) == 0 || len(dsig) > 1024 {
		return errors.New("digital signature: bad length")
	}
	c := new(big.Int)
	digit := new(big.Int)
	for i := len(dsig) - 1; i >= 0; i-- {
		v := dsigDigit(dsig[i])
		if v < 0 {
			return fmt.Errorf("digital signature: bad character %q", dsig[i])
		}
		c.Lsh(c, 6)
		c.Or(c, digit.SetInt64(int64(v)))
	}
	p := new(big.Int).Exp(c, e, n)
	b := p.Bytes()
	var plain [16]byte
	copy(plain[16-min(16, len(b)):], b[max(0, len(b)-16):])
	if hex.EncodeToString(plain[:]) != strings.ToLower(md5hex) {
		return errors.New("digital signature: does not match")
	}
	return nil
}

func dsigDigit(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}
