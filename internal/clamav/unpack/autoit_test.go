package unpack

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// autoitEntry is one file to pack into a synthetic AutoIt script.
type autoitEntry struct {
	tag, name string
	data      []byte
	compress  bool
}

// makeAutoIt builds what Aut2Exe appends to its stub: junk, the marker,
// the version digit, 16 key bytes, then the entries of g.
func makeAutoIt(g *autoitGen, entries ...autoitEntry) []byte {
	le := binary.LittleEndian
	key := []byte("0123456789abcdef")
	var sum uint32
	for _, c := range key {
		sum += uint32(c)
	}
	out := append([]byte("stub bytes"), autoitMarker...)
	out = append(out, g.dataMagic[3])
	out = append(out, key...)
	str := func(s string, lenKey, seed uint32) {
		b := []byte(s)
		units := uint32(len(b))
		if g.wide {
			w := make([]byte, 0, 2*len(b))
			for _, c := range b {
				w = append(w, c, 0)
			}
			b = w
			autoitLameXOR(b, uint32(uint16(units)+uint16(seed)))
		} else {
			autoitMTXOR(b, units+seed)
		}
		out = le.AppendUint32(out, units^lenKey)
		out = append(out, b...)
	}
	for _, e := range entries {
		out = le.AppendUint32(out, g.fileMagic)
		str(e.tag, g.tagKey, g.tagSeed)
		str(e.name, g.repKey, g.nameSeed)
		body := bytes.Clone(e.data)
		comp := byte(0)
		if e.compress {
			comp = 1
			body = autoitDeflate(g, e.data)
		}
		if g.wide {
			autoitLameXOR(body, 0x2477)
		} else {
			autoitMTXOR(body, 0x22af+sum)
		}
		out = append(out, comp)
		out = le.AppendUint32(out, uint32(len(body))^g.sizeKey)
		out = le.AppendUint32(out, uint32(len(e.data))^g.sizeKey)
		out = append(out, make([]byte, 4+16)...) // checksum, times
		out = append(out, body...)
	}
	return append(out, "trailing junk"...)
}

// autoitBitWriter writes bits MSB first into 16-bit big-endian words.
type autoitBitWriter struct {
	out []byte
	acc uint32
	n   int
}

func (w *autoitBitWriter) put(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>i)&1
		if w.n++; w.n == 16 {
			w.out = append(w.out, byte(w.acc>>8), byte(w.acc))
			w.acc, w.n = 0, 0
		}
	}
}

// autoitDeflate compresses d the way the unpacker reads it: literals, and
// runs of the previous byte as distance-1 matches.
func autoitDeflate(g *autoitGen, d []byte) []byte {
	w := &autoitBitWriter{out: binary.BigEndian.AppendUint32([]byte(g.dataMagic), uint32(len(d)))}
	lit := 1 - g.matchFlag
	for i := 0; i < len(d); {
		run := 0
		for i > 0 && i+run < len(d) && d[i+run] == d[i-1] {
			run++
		}
		if run < 3 {
			w.put(lit, 1)
			w.put(uint32(d[i]), 8)
			i++
			continue
		}
		w.put(g.matchFlag, 1)
		w.put(1, 15)
		v := uint32(run - 3)
		for _, f := range []struct {
			bits int
			all  uint32
		}{{2, 3}, {3, 7}, {5, 31}} {
			if v < f.all {
				w.put(v, f.bits)
				goto done
			}
			w.put(f.all, f.bits)
			v -= f.all
		}
		for v >= 255 {
			w.put(255, 8)
			v -= 255
		}
		w.put(v, 8)
	done:
		i += run
	}
	for w.n != 0 {
		w.put(0, 1)
	}
	return w.out
}

func autoitMembers(t *testing.T, d []byte, b *Budget) ([]Entry, error) {
	t.Helper()
	var got []Entry
	x := &run{b: b, in: int64(len(d)), emit: func(e Entry) error {
		got = append(got, e)
		return nil
	}}
	err := x.autoit(context.Background(), d)
	return got, err
}

// TestAutoItRoundTrip packs stored and compressed files for both
// generations, with runs long enough for every length field.
func TestAutoItRoundTrip(t *testing.T) {
	long := append(bytes.Repeat([]byte{'z'}, 1200), "tail"...)
	for _, g := range []*autoitGen{&autoitEA05, &autoitEA06} {
		script, text := []byte("MsgBox(0, \"hi\", \"there\")\r\n"), "MsgBox(0, \"hi\", \"there\")\r\n"
		if g.wide {
			script, text = autoitTokens, autoitTokensText
		}
		d := makeAutoIt(g,
			autoitEntry{">>>AUTOIT SCRIPT<<<", `C:\tmp\aut1.tmp`, script, true},
			autoitEntry{`C:\eicar.com`, `C:\eicar.com`, payload, false},
			autoitEntry{`C:\long.bin`, `C:\long.bin`, long, true},
			autoitEntry{`C:\runs.bin`, `C:\runs.bin`, []byte("aaaabbbbbbbbbbbbccccccccccccccccccccccccccccccccccccccccccccccc"), true},
		)
		got, err := autoitMembers(t, d, bigBudget())
		if err != nil {
			t.Fatalf("%s: %v", g.dataMagic, err)
		}
		want := []struct {
			name string
			data []byte
		}{
			{"autoit-script", []byte(text)},
			{`C:\eicar.com`, payload},
			{`C:\long.bin`, long},
			{`C:\runs.bin`, []byte("aaaabbbbbbbbbbbbccccccccccccccccccccccccccccccccccccccccccccccc")},
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d members, want %d", g.dataMagic, len(got), len(want))
		}
		for i, w := range want {
			if got[i].Name != w.name || !bytes.Equal(got[i].Data, w.data) {
				t.Errorf("%s member %d: %q %q, want %q %q", g.dataMagic, i, got[i].Name, got[i].Data, w.name, w.data)
			}
		}
	}
}

// TestAutoItDeclaredSizeOverLimit: a member declaring more than
// MaxFileSize stops with a limit before anything is allocated for it.
func TestAutoItDeclaredSizeOverLimit(t *testing.T) {
	d := makeAutoIt(&autoitEA05, autoitEntry{"t", "n", bytes.Repeat([]byte("ab"), 100), true})
	_, err := autoitMembers(t, d, NewBudget(100, 0, 0, 0, time.Time{}))
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxFileSize" {
		t.Fatalf("err %v, want MaxFileSize", err)
	}
}

// TestAutoItCorrupt: truncated and damaged scripts end without panic and
// never emit more than the stream declares.
func TestAutoItCorrupt(t *testing.T) {
	for _, g := range []*autoitGen{&autoitEA05, &autoitEA06} {
		d := makeAutoIt(g, autoitEntry{"t", "n", append(bytes.Repeat([]byte{0}, 300), payload...), true})
		for i := 0; i < len(d); i += 3 {
			got, _ := autoitMembers(t, d[:i], bigBudget())
			for _, e := range got {
				if len(e.Data) > 300+len(payload) {
					t.Fatalf("cut at %d: %d bytes", i, len(e.Data))
				}
			}
			c := bytes.Clone(d)
			c[i] ^= 0x5a
			autoitMembers(t, c, bigBudget())
		}
	}
}

// TestAutoItTestfiles: clam.ea05.exe and clam.ea06.exe (UPX-packed stubs)
// carry clam.exe as a FileInstall'd member; their scripts come out as
// clamscan --leave-temps writes them (the EA05 one UTF-16 text, the EA06
// one decompiled from tokens), compared by MD5.
func TestAutoItTestfiles(t *testing.T) {
	scripts := map[string]struct{ name, md5 string }{
		"clam.ea05.exe": {`C:\DOCUME~1\acab\IMPOST~1\Temp\autD.tmp`, "144d97bc59d6944c6cf31e3fca78f432"},
		"clam.ea06.exe": {"autoit-script", "8903cae272bf36a778c2f361ba282d42"},
	}
	for _, f := range []string{"clam.ea05.exe", "clam.ea06.exe"} {
		d, err := os.ReadFile(filepath.Join(testfilesDir, f))
		if err != nil {
			t.Skip("clamav-testfiles not installed (Debian clamav-testfiles): ", err)
		}
		got, err := collect(t, Detect(d, f), d, bigBudget())
		if err != nil {
			t.Logf("%s: %v", f, err)
		}
		found, script := false, false
		for _, e := range got {
			sum := md5.Sum(e.Data)
			if e.Name == `C:\clam.exe` && hex.EncodeToString(sum[:]) == clamExeMD5 {
				found = true
			}
			if e.Name == scripts[f].name && hex.EncodeToString(sum[:]) == scripts[f].md5 {
				script = true
			}
		}
		if !found || !script {
			t.Errorf("%s: clam.exe found %v, script found %v among %d members", f, found, script, len(got))
		}
	}
}

// autoitTokens is one EA06 script line, $a = MsgBox(0, "hi") ; the names
// are XORed with their lengths, as Aut2Exe stores them.
var autoitTokens = func() []byte {
	le := binary.LittleEndian
	name := func(op byte, s string) []byte {
		b := le.AppendUint32([]byte{op}, uint32(len(s)))
		for _, c := range s {
			b = append(b, byte(c)^byte(len(s)), 0)
		}
		return b
	}
	t := le.AppendUint32(nil, 1) // lines
	t = append(t, name(0x33, "a")...)
	t = append(t, 0x41)
	t = le.AppendUint32(append(t, 0x01), 249) // MSGBOX
	t = append(t, 0x47)
	t = le.AppendUint32(append(t, 0x05), 0)
	t = append(t, 0x40)
	t = append(t, name(0x36, "hi")...)
	t = le.AppendUint64(append(t, 0x20), math.Float64bits(2.5))
	return append(t, 0x48, 0x7f)
}()

const autoitTokensText = "$a = MSGBOX ( 0x00000000 , \"hi\" 2.5 ) \n"

// TestAutoItScriptText decompiles tokens as ClamAV does and stops at an
// unknown op or a short operand.
func TestAutoItScriptText(t *testing.T) {
	if got := string(autoitScriptText(autoitTokens, 1<<20)); got != autoitTokensText {
		t.Fatalf("got %q, want %q", got, autoitTokensText)
	}
	if got := string(autoitScriptText(autoitTokens, 5)); got != "$a = " {
		t.Errorf("capped: %q", got)
	}
	bad := append(bytes.Clone(autoitTokens[:4+7]), 0x99, 0x41)
	if got := string(autoitScriptText(bad, 1<<20)); got != "$a " {
		t.Errorf("unknown op: %q", got)
	}
	for i := range autoitTokens {
		autoitScriptText(autoitTokens[:i], 1<<20)
	}
}

func autoitSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		makeAutoIt(&autoitEA05, autoitEntry{"t", "n", []byte("hello hello hello"), true}, autoitEntry{"u", "m", payload, false}),
		makeAutoIt(&autoitEA06, autoitEntry{">>>AUTOIT SCRIPT<<<", "n", []byte("aaaaaaaaaaaaaaaaaaaab"), true}),
	}
	for _, name := range []string{"clam.ea05.exe", "clam.ea06.exe"} {
		if d, err := os.ReadFile(filepath.Join(testfilesDir, name)); err == nil {
			if i := bytes.Index(d, autoitMarker); i >= 0 {
				seeds = append(seeds, d[i:])
			}
		}
	}
	return seeds
}

// FuzzAutoIt drives the entry walk from the marker on.
func FuzzAutoIt(f *testing.F) {
	for _, s := range autoitSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := NewBudget(1<<20, 4<<20, 200, 200, time.Now().Add(2*time.Second))
		x := &run{b: b, in: int64(len(data)), emit: func(Entry) error { return nil }}
		x.autoit(context.Background(), data)
	})
}

// FuzzAutoItScriptText drives the EA06 token decompiler.
func FuzzAutoItScriptText(f *testing.F) {
	f.Add(autoitTokens)
	f.Fuzz(func(t *testing.T, data []byte) {
		if out := autoitScriptText(data, 1<<16); len(out) > 1<<16 {
			t.Fatalf("%d bytes past the cap", len(out))
		}
	})
}

// FuzzAutoItInflate drives the EA05/EA06 decompressor directly (through
// the container, fuzzed bytes are decrypted into noise first).
func FuzzAutoItInflate(f *testing.F) {
	f.Add(autoitDeflate(&autoitEA05, []byte("abcabcabcaaaaaaaaaaaaaaaaaaaa")), true)
	f.Add(autoitDeflate(&autoitEA06, bytes.Repeat([]byte{7}, 5000)), false)
	f.Fuzz(func(t *testing.T, data []byte, ea05 bool) {
		if len(data) < 8 {
			return
		}
		flag := uint32(0)
		if ea05 {
			flag = 1
		}
		b := NewBudget(1<<20, 0, 0, 200, time.Now().Add(2*time.Second))
		x := &run{b: b, in: int64(len(data)), emit: func(Entry) error { return nil }}
		out, _ := x.autoitInflate(context.Background(), data, flag)
		if len(out) > 1<<20 {
			t.Fatalf("%d bytes past MaxFileSize", len(out))
		}
	})
}
