package sarules

import (
	"fmt"
	"strings"
	"time"
)

// # Hyperscan patterns
//
// With the hyperscan build tag (hs.go), Hyperscan is a prefilter in front
// of the regex engines: it reads a subject once for all the rules of its
// kind and reports the rules that may match; only those run. Its pattern
// for a rule is printed here from the parsed regex, not taken from the
// rule file, so Hyperscan sees exactly the bytes this engine reads (the
// Perl syntax it would read differently never reaches it) and a pattern
// that matches whenever the regex does:
//
//   - literals and classes become byte classes (case folding is already
//     expanded: ASCII only, as Perl on byte strings);
//   - lookaround is dropped and a backreference becomes any string, both
//     of which only add matches; atomic groups and possessive or lazy
//     quantifiers become plain ones, which match whenever they do;
//   - a repeat bounded above hsMaxRepeat is unbounded, and one needing
//     more than hsMaxRepeat copies needs hsMaxRepeat: large counted
//     repeats (/[^>]{0,2048}/, nested in another) make Hyperscan's
//     compile take seconds, and they rarely decide whether a rule runs;
//   - anchors keep their meaning: \A, \z, \Z, and ^ $ under
//     multi-line mode, \b \B over ASCII word bytes, as here.
//
// Hyperscan compiles the patterns in prefilter mode, so constructs it
// cannot run exactly (large bounded repeats) are widened again. A regex
// that cannot be printed (hsPattern false) keeps the engine's own
// prefilters.

// hsMaxRepeat: see above.
const hsMaxRepeat = 16

// hsPattern returns the Hyperscan pattern for a parsed regex (compiled
// with HS_FLAG_MULTILINE, no case or dot flags: the pattern spells them
// out), false if it has none.
//
// joined: the pattern is for a list of subjects scanned as one text,
// joined with newlines (hsListMayMatch): the start and end of a subject
// become the line anchors ^ and $, which hold there and elsewhere too.
func hsPattern(n *node, joined bool) (string, bool) {
	var b strings.Builder
	if !hsWrite(&b, n, joined) {
		return "", false
	}
	return b.String(), true
}

func hsWrite(b *strings.Builder, n *node, joined bool) bool {
	switch n.kind {
	case nLit:
		for _, c := range n.lit {
			s := litByte(c, n.fold)
			hsClass(b, &s)
		}
	case nClass:
		if n.set.count() == 0 {
			return false // matches nothing: left to the engine
		}
		hsClass(b, n.set)
	case nBOL:
		b.WriteString("^")
	case nEOL:
		b.WriteString("$")
	case nBOT:
		b.WriteString(hsAnchor(joined, `\A`, "^"))
	case nEOTNL:
		b.WriteString(hsAnchor(joined, `\Z`, "$"))
	case nEOT:
		b.WriteString(hsAnchor(joined, `\z`, "$"))
	case nWordB:
		b.WriteString(`\b`)
	case nNonWordB:
		b.WriteString(`\B`)
	case nLook:
		// dropped: the pattern matches where the regex does, and more
	case nBackref:
		b.WriteString(`[\x00-\xff]*`)
	case nGroup, nAtomic:
		b.WriteString("(?:")
		if !hsWrite(b, n.subs[0], joined) {
			return false
		}
		b.WriteString(")")
	case nConcat:
		for _, s := range n.subs {
			if !hsWrite(b, s, joined) {
				return false
			}
		}
	case nAlt:
		b.WriteString("(?:")
		for i, s := range n.subs {
			if i > 0 {
				b.WriteString("|")
			}
			if !hsWrite(b, s, joined) {
				return false
			}
		}
		b.WriteString(")")
	case nRepeat:
		if n.max == 0 {
			return true // x{0}: the empty string
		}
		b.WriteString("(?:")
		if !hsWrite(b, n.subs[0], joined) {
			return false
		}
		b.WriteString(")")
		lo, hi := n.min, n.max
		if hi > hsMaxRepeat {
			lo, hi = min(lo, hsMaxRepeat), -1
		} else if lo > hsMaxRepeat {
			lo = hsMaxRepeat
		}
		switch {
		case lo == 0 && hi < 0:
			b.WriteString("*")
		case lo == 1 && hi < 0:
			b.WriteString("+")
		case lo == 0 && hi == 1:
			b.WriteString("?")
		case hi < 0:
			fmt.Fprintf(b, "{%d,}", lo)
		case lo == hi:
			fmt.Fprintf(b, "{%d}", lo)
		default:
			fmt.Fprintf(b, "{%d,%d}", lo, hi)
		}
	default:
		return false
	}
	return true
}

// hsAnchor is a subject anchor: itself, or in joined text the line
// anchor that holds wherever it does.
func hsAnchor(joined bool, subject, line string) string {
	if joined {
		return line
	}
	return subject
}

// hsClass writes a byte set as a class of \xNN ranges (one byte alone:
// the escaped byte).
func hsClass(b *strings.Builder, s *byteSet) {
	if s.count() == 1 {
		for c := 0; c < 256; c++ {
			if s.has(byte(c)) {
				fmt.Fprintf(b, `\x%02x`, c)
				return
			}
		}
	}
	b.WriteString("[")
	s.ranges(func(lo, hi int) {
		if hi == lo {
			fmt.Fprintf(b, `\x%02x`, lo)
		} else {
			fmt.Fprintf(b, `\x%02x-\x%02x`, lo, hi)
		}
	})
	b.WriteString("]")
}

// hsGroup is the patterns of the rules that read one kind of subject
// (body, rawbody, uri, full, or one header request): one database.
type hsGroup struct {
	key   string
	rules []int32 // Rule.idx of pattern i
	pats  []string
	size  int // bytes of pats
}

// hsGroupMax and hsGroupBytes bound a database: Hyperscan's compile time
// grows faster than its patterns (the stock body rules took 48 s as one
// database), scanning several databases costs little more than one.
var (
	hsGroupMax   = 100
	hsGroupBytes = 32 << 10
)

// hsState is a ruleset's compiled Hyperscan prefilter: refs[Rule.idx]
// is the rule's database and pattern id (db nil: none).
type hsState struct {
	refs []hsRef
}

type hsRef struct {
	db *hsDB
	id int32
}

// buildHyperscanGroups prints the patterns of the running regex rules,
// grouped by the subject they read, for CompileHyperscan (only in a
// binary built with Hyperscan: the regexes' trees are gone after Load).
func (p *parser) buildHyperscanGroups() {
	if !HyperscanBuilt {
		return
	}
	byKey := map[string]int{}
	for _, r := range p.rs.order {
		if r.Re == nil || r.Re.root == nil || r.Re.lits == nil || r.tmpl != nil || r.inactive != "" || r.Exists {
			continue
		}
		key := subjectGroup(r)
		if key == "" {
			continue
		}
		pat, ok := hsPattern(r.Re.root, r.Type != TypeHeader && r.Type != TypeFull)
		if !ok {
			continue
		}
		g, ok := byKey[key]
		if ok && (len(p.rs.hsGroups[g].pats) >= hsGroupMax || p.rs.hsGroups[g].size+len(pat) > hsGroupBytes) {
			ok = false
		}
		if !ok {
			g = len(p.rs.hsGroups)
			byKey[key] = g
			p.rs.hsGroups = append(p.rs.hsGroups, hsGroup{key: key})
		}
		gr := &p.rs.hsGroups[g]
		gr.rules, gr.pats = append(gr.rules, int32(r.idx)), append(gr.pats, pat)
		gr.size += len(pat)
	}
}

// hsRef returns r's Hyperscan pattern, nil if it has none (or the
// prefilter is not compiled yet).
func (p *pms) hsRef(r *Rule) *hsRef {
	if p.hs == nil {
		return nil
	}
	if ref := &p.hs.refs[r.idx]; ref.db != nil {
		return ref
	}
	return nil
}

// hsMayMatch reports whether ref's pattern matches t, scanning t once
// per database.
func (p *pms) hsMayMatch(ref *hsRef, t *subjectText) bool {
	var found []uint64
	for i := range t.hsScans {
		if t.hsScans[i].db == ref.db {
			found = t.hsScans[i].found
			break
		}
	}
	if found == nil {
		found = p.bits(ref.db.size())
		ref.db.scan(t.s, found)
		t.hsScans = append(t.hsScans, hsScan{ref.db, found})
	}
	return found[ref.id>>6]&(1<<(ref.id&63)) != 0
}

// hsListMayMatch reports whether ref's pattern matches the subjects of
// kind (body, rawbody, uri or full) joined by newlines: false rules out a
// match in every one of them (the pattern was made for joined text).
func (p *pms) hsListMayMatch(ref *hsRef, kind uint8) bool {
	t := p.hsJoined[kind]
	if t == nil {
		list := p.kindTexts(kind)
		if len(list) == 1 {
			t = list[0]
		} else {
			n := 0
			for _, s := range list {
				n += len(s.s) + 1
			}
			b := make([]byte, 0, n)
			for i, s := range list {
				if i > 0 {
					b = append(b, '\n')
				}
				b = append(b, s.s...)
			}
			t = &subjectText{s: string(b), ok: true}
		}
		p.hsJoined[kind] = t
	}
	return p.hsMayMatch(ref, t)
}

type hsScan struct {
	db    *hsDB
	found []uint64
}

// HyperscanStats describes a compiled Hyperscan prefilter.
type HyperscanStats struct {
	Databases int // one per kind of subject (and header request)
	Cached    int // of them read from the cache
	Rules     int // rules with a pattern in a database
	Refused   int // rules whose pattern Hyperscan refused
	Took      time.Duration
}
