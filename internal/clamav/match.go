package clamav

// match runs every signature kind over one buffer in ClamAV's order (what
// the first match and --allmatch report depend on): body signatures on the
// raw and normalised bytes, then file hashes, PE section hashes, and last
// logical signatures over the subsignature counts.
func (s *scan) match(d []byte, sums *fileSums) error {
	db := s.e.db
	c := scanCtx{ftype: fileType(d)}
	var exe exeInfo
	switch c.ftype {
	case targetPE:
		exe, _ = parsePE(d)
		c.exe = &exe
	case targetELF:
		exe, _ = parseELF(d)
		c.exe = &exe
	}
	counts := ldbCounts{}
	var stop error
	hit := func(m *matcher) hitFn {
		return func(si int32, _ int) bool {
			b := &m.sigs[si]
			if b.ldb >= 0 {
				counts.add(b.ldb, b.sub, db.ldbs[b.ldb].nsub)
				return false
			}
			stop = s.found(db.names[b.name])
			return stop != nil
		}
	}
	db.raw.scan(d, &c, hit(db.raw))
	if stop == nil && (c.ftype == targetHTML || c.ftype == targetText) {
		s.matchNormalised(d, &c, hit)
	}
	if stop != nil {
		return stop
	}
	if n, ok := db.hashes.lookup(d, sums); ok {
		if err := s.found(n); err != nil {
			return err
		}
	}
	if c.ftype == targetPE && db.sections.n > 0 {
		if err := s.matchSections(d, &exe); err != nil {
			return err
		}
	}
	return s.matchLogical(d, &c, counts)
}

// ldbCounts holds, per logical signature that had a hit, the match count
// of each subsignature. Most files hit none, so it starts empty.
type ldbCounts map[int32][]int

// maxCount caps a subsignature's count; no expression needs more.
const maxCount = 1 << 16

func (lc ldbCounts) add(ldb, sub int32, nsub int) {
	c := lc[ldb]
	if c == nil {
		c = make([]int, nsub)
		lc[ldb] = c
	}
	if c[sub] < maxCount {
		c[sub]++
	}
}

func (s *scan) matchLogical(d []byte, c *scanCtx, counts ldbCounts) error {
	for li, cs := range counts {
		l := &s.e.db.ldbs[li]
		if l.target != targetAny && l.target != c.ftype && !(l.target == targetHTML || l.target == targetText) {
			continue
		}
		if !l.size.ok(int64(len(d))) {
			continue
		}
		if l.ep.set && (c.exe == nil || !l.ep.ok(c.exe.ep)) {
			continue
		}
		if l.nsec.set && (c.exe == nil || !l.nsec.ok(int64(len(c.exe.sections)))) {
			continue
		}
		if ok, _, _ := l.expr.eval(func(i int) int { return cs[i] }); ok {
			if err := s.found(l.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// matchSections looks every PE section up in the .mdb/.msb signatures.
func (s *scan) matchSections(d []byte, exe *exeInfo) error {
	for _, sec := range exe.sections {
		if sec.rawLen <= 0 || sec.raw < 0 || sec.raw+sec.rawLen > int64(len(d)) {
			continue
		}
		var sums fileSums
		if n, ok := s.e.db.sections.lookup(d[sec.raw:sec.raw+sec.rawLen], &sums); ok {
			if err := s.found(n); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxPooledNorm is the largest normalisation buffer kept for reuse; a
// huge one is left to the garbage collector.
const maxPooledNorm = 8 << 20

// matchNormalised runs the type 3 and type 7 signatures over normalised
// copies of d, in a pooled buffer.
func (s *scan) matchNormalised(d []byte, c *scanCtx, hit func(*matcher) hitFn) {
	db := s.e.db
	if len(db.html.sigs) == 0 && len(db.text.sigs) == 0 {
		return
	}
	bp := normPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledNorm {
			normPool.Put(bp)
		}
	}()
	if c.ftype == targetHTML && len(db.html.sigs) > 0 {
		*bp = normHTML(*bp, d)
		hc := scanCtx{ftype: targetHTML, exe: c.exe}
		db.html.scan(*bp, &hc, hit(db.html))
		if !s.res.Infected || s.e.o.AllMatch {
			*bp = stripTags(*bp)
			db.html.scan(*bp, &hc, hit(db.html))
		}
	}
	// Type 7 is for plain text; HTML has its own normalised form.
	if c.ftype == targetText && len(db.text.sigs) > 0 {
		if db.textProbe && !db.text.mayMatchText(d, *bp, c) {
			return
		}
		*bp = normText(*bp, d)
		tc := scanCtx{ftype: targetText, exe: c.exe}
		db.text.scan(*bp, &tc, hit(db.text))
	}
}
