package clamav

import (
	"context"
	"testing"
)

func FuzzParseNDB(f *testing.F) {
	for _, s := range []string{
		"Eicar:0:*:58354f21502540",
		"X:1:EP+0,15:4142??43(44|4546)!(47|48){2-5}49*4a[1-3]4b4c:51:255",
		"X:0:EOF-10:41{-3}42{3-}43a?4?",
		"X:3:S1+4:4142434445",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, err := parseNDBLine(line)
		if err != nil {
			return
		}
		// A parsed signature must scan arbitrary data without panicking.
		m := newMatcher([]bodySig{{pat: e.pat, off: e.off, name: 0, ldb: -1}})
		c := scanCtx{}
		m.scan([]byte(line), &c, func(int32, int) bool { return false })
	})
}

func FuzzParseLDB(f *testing.F) {
	for _, s := range []string{
		"X;Engine:51-255,Target:0;0&1;41424344;45464748",
		"X;Target:1,EntryPoint:0-100;(0|1)>2,1&2<3;EP+0:4142::i;45464748::wa;4a4b::f",
		"X;Target:0;((0&1)|2)=1;41;42;43",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, err := parseLDBLine(line)
		if err != nil {
			return
		}
		e.expr.eval(func(i int) int {
			if i >= len(e.subs) {
				t.Fatalf("expression refers to subsignature %d of %d", i, len(e.subs))
			}
			return i
		})
	})
}

func FuzzParseHDB(f *testing.F) {
	f.Add("aa15bcf478d165efd2065190eb473bcb:544:Test.ClamExe.HDB", false)
	f.Add("544:aa15bcf478d165efd2065190eb473bcb:Sec:73", true)
	f.Add("aa15bcf478d165efd2065190eb473bcbaa15bcf4:*:Sha1", false)
	f.Fuzz(func(t *testing.T, line string, section bool) {
		e, err := parseHashLine(line, section)
		if err != nil {
			return
		}
		var h hashSet
		h.add(e)
		var sums fileSums
		h.lookup([]byte(line), &sums)
	})
}

func FuzzCVDHeader(f *testing.F) {
	f.Add([]byte("ClamAV-VDB:10 Mar 2024 07-45 -0400:27210:2062357:90:0123456789abcdef0123456789abcdef:sig:b:1710071100"))
	f.Add([]byte("ClamAV-VDB:::::::"))
	f.Fuzz(func(t *testing.T, head []byte) {
		h := make([]byte, cvdHeaderLen)
		copy(h, head)
		if c, err := parseCVDHeader(h); err == nil {
			verifyDsig(c.md5, c.dsig)
		}
		// Whole containers: header plus whatever follows.
		openCVD(append(h, head...), false)
	})
}

func FuzzScan(f *testing.F) {
	f.Add([]byte(eicar))
	f.Add([]byte("<html><!-- x --><script>&#65;&lt;</script>"))
	f.Add([]byte("MZ\x90\x00"))
	b := newBuilder()
	b.files = append(b.files, dbFile{path: "f.ndb", ext: ".ndb", official: true, data: []byte(
		"A:0:*:" + hx(eicar) + "\nB:3:*:3c736372697074\nC:7:*:6869{-4}7468657265\nD:1:EP+0:e8??000000\n")})
	e := NewEngine(b.build(), DefaultOptions())
	f.Fuzz(func(t *testing.T, data []byte) {
		e.ScanBytes(context.Background(), data, "")
	})
}
