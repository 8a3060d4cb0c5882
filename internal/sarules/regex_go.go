package sarules

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// # Go translation
//
// A parsed regex without lookaround, backreferences or atomic groups is
// written out in Go's RE2 syntax and run by package regexp (linear time).
// Go matches runes, SpamAssassin octets: every byte b of the subject is
// carried as the rune U+00bb (latin1String) and every byte in the pattern is
// written as \x{bb}, so "\xe9" and a UTF-8 sequence in a rule match the same
// octets they match in Perl. Case folding is written as (?i:...) over ASCII
// letters only; classes are written as explicit byte ranges.
//
// QUIRK: a possessive quantifier (a++) is run as a greedy one; SpamAssassin
// rules use it for speed, and the boolean outcome differs only for patterns
// that rely on the possessive refusing to give back.

// goSyntax renders n in Go regexp syntax.
func goSyntax(n *node) string {
	var b strings.Builder
	writeGo(&b, n)
	return b.String()
}

func writeGoByte(b *strings.Builder, c byte) {
	switch {
	case c >= 0x80 || c < 0x20 || c == 0x7f:
		fmt.Fprintf(b, `\x{%x}`, c)
	case strings.IndexByte(`\.+*?()|[]{}^$-#&~ `, c) >= 0:
		if c == ' ' {
			b.WriteByte(' ')
			return
		}
		b.WriteByte('\\')
		b.WriteByte(c)
	default:
		b.WriteByte(c)
	}
}

func writeGo(b *strings.Builder, n *node) {
	switch n.kind {
	case nLit:
		if n.fold {
			b.WriteString("(?i:")
		}
		for _, c := range n.lit {
			writeGoByte(b, c)
		}
		if n.fold {
			b.WriteString(")")
		}
	case nClass:
		writeGoClass(b, n.set)
	case nBOL:
		b.WriteString(`(?m:^)`)
	case nEOL:
		b.WriteString(`(?m:$)`)
	case nBOT:
		b.WriteString(`\A`)
	case nEOT:
		b.WriteString(`\z`)
	case nEOTNL:
		// QUIRK: Perl's $ matches before a final newline without
		// consuming it; here the newline is consumed, which only matters
		// when the pattern continues after $.
		b.WriteString(`(?:\n?\z)`)
	case nWordB:
		b.WriteString(`\b`)
	case nNonWordB:
		b.WriteString(`\B`)
	case nGroup, nAtomic:
		if n.cap > 0 {
			b.WriteString("(")
		} else {
			b.WriteString("(?:")
		}
		writeGo(b, n.subs[0])
		b.WriteString(")")
	case nConcat:
		for _, s := range n.subs {
			writeGo(b, s)
		}
	case nAlt:
		b.WriteString("(?:")
		for i, s := range n.subs {
			if i > 0 {
				b.WriteString("|")
			}
			writeGo(b, s)
		}
		b.WriteString(")")
	case nRepeat:
		b.WriteString("(?:")
		writeGo(b, n.subs[0])
		b.WriteString(")")
		switch {
		case n.min == 0 && n.max == -1:
			b.WriteString("*")
		case n.min == 1 && n.max == -1:
			b.WriteString("+")
		case n.min == 0 && n.max == 1:
			b.WriteString("?")
		case n.max == -1:
			fmt.Fprintf(b, "{%d,}", n.min)
		case n.min == n.max:
			fmt.Fprintf(b, "{%d}", n.min)
		default:
			fmt.Fprintf(b, "{%d,%d}", n.min, n.max)
		}
		if n.lazy {
			b.WriteString("?")
		}
	default:
		// lookaround and backreferences never reach here (needBT).
		b.WriteString(`[^\x00-\x{10FFFF}]`)
	}
}

func writeGoClass(b *strings.Builder, s *byteSet) {
	n := s.count()
	if n == 256 {
		b.WriteString(`(?s:.)`)
		return
	}
	if n == 0 {
		b.WriteString(`[^\x00-\x{10FFFF}]`)
		return
	}
	b.WriteString("[")
	s.ranges(func(lo, hi int) {
		fmt.Fprintf(b, `\x{%x}`, lo)
		if hi > lo {
			fmt.Fprintf(b, `-\x{%x}`, hi)
		}
	})
	b.WriteString("]")
}

// compileGo compiles n with package regexp.
func compileGo(n *node) (*regexp.Regexp, error) {
	return regexp.Compile(goSyntax(n))
}

// latin1String carries each byte of s as one rune (see # Go translation).
func latin1String(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	buf := make([]byte, 0, len(s)+len(s)/4)
	for i := 0; i < len(s); i++ {
		buf = utf8.AppendRune(buf, rune(s[i]))
	}
	return string(buf)
}
