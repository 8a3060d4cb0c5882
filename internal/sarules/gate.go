package sarules

// # Gates and flat metas
//
// A message meets every active rule (some 2,800 of the stock set), and
// most of them cannot match it: the literal prefilter (litscan.go) knows
// so from the literals found in the subject. But finding that out rule by
// rule meant reading the rule, its regex, its subject and its literal
// list, scattered over a ruleset of a hundred megabytes: a cache miss
// each, and together they cost more than the regexes that do run.
//
// So Load gives every rule a gate, dense by Rule.idx: the kind of subject
// its literals are looked up in (a header request, or the body, rawbody,
// uri or full text) and the IDs of those literals. Check finds the
// literals of each subject once (for the body, rawbody and uri lists the
// union over their texts: a superset, so still only a prefilter), and a
// rule whose gate is shut is 0 without its Rule being read.
//
// Metas are flattened the same way: the expression trees of all metas
// become one array of instructions (metaInst), operands first-child-next,
// and a rule operand is its Rule.idx, so evaluating the metas reads
// memory in order and meets a Rule only when it must run it.

// gate kinds: the subject a gated rule's literals are looked up in
const (
	gateNone uint8 = iota // not gated: the rule runs when asked
	gateBody
	gateRaw
	gateURI
	gateFull
	gateHeader // the header request get
	gateKinds
)

// ruleGate is a rule's gate: it is open when one of rs.gateLits[lo:hi]
// occurs in its subject.
type ruleGate struct {
	kind   uint8
	get    int32 // gateHeader: the request's id (Ruleset.getReqs)
	lo, hi int32
}

// metaInst is one node of a flattened meta: operands follow their
// operator, a binary operator's right operand starts at a.
type metaInst struct {
	code metaOp
	// a: metaRule the operand's Rule.idx (-1: no such rule); metaSum
	// the start of its rules in metaSums; binary operators the right
	// operand's index
	a   int32
	b   int32 // metaSum: the end of its rules in metaSums
	num float64
}

// buildGates sets up the gates, the header request ids, the flat metas
// and the lists of rules Check runs; after the metas are resolved.
func (rs *Ruleset) buildGates() {
	rs.gates = make([]ruleGate, len(rs.order))
	rs.getIDs = map[string]int32{}
	for _, r := range rs.order {
		if r.Type == TypeHeader {
			r.getID = rs.getID(r.Header)
		}
		if g, ok := rs.gateOf(r); ok {
			rs.gates[r.idx] = g
		}
	}
	for _, r := range rs.metas {
		r.metaPC = int32(len(rs.metaCode))
		rs.emitMeta(r.Meta.root)
	}
	for t := TypeHeader; t <= TypeMimeheader; t++ {
		for _, r := range rs.byType[t] {
			if !isSubRule(r.Name) {
				rs.topRules = append(rs.topRules, int32(r.idx))
			}
		}
	}
	for _, r := range rs.metas {
		if !isSubRule(r.Name) {
			rs.topMetas = append(rs.topMetas, int32(r.idx))
		}
	}
}

func isSubRule(name string) bool { return len(name) >= 2 && name[:2] == "__" }

// getID returns the id of a header request, adding it.
func (rs *Ruleset) getID(req string) int32 {
	id, ok := rs.getIDs[req]
	if !ok {
		id = int32(len(rs.getReqs))
		rs.getIDs[req] = id
		rs.getReqs = append(rs.getReqs, req)
	}
	return id
}

// gateOf returns r's gate: rules whose every match needs one of their
// literals in the one subject they read (ok false for the rest).
func (rs *Ruleset) gateOf(r *Rule) (ruleGate, bool) {
	re := r.Re
	if re == nil || r.tmpl != nil || r.Eval != "" || re.lits == nil || re.scan == nil || re.scan != rs.scans[scanKind(r.Type)] {
		return ruleGate{}, false
	}
	var g ruleGate
	switch r.Type {
	case TypeBody, TypeRawbody, TypeURI, TypeFull:
		g.kind = scanKind(r.Type)
	case TypeHeader:
		if r.Exists || r.Neg || r.Unset != nil {
			return ruleGate{}, false
		}
		g.kind, g.get = gateHeader, rs.getID(r.Header)
	default:
		return ruleGate{}, false
	}
	g.lo = int32(len(rs.gateLits))
	rs.gateLits = append(rs.gateLits, re.litIDs...)
	g.hi = int32(len(rs.gateLits))
	return g, true
}

// emitMeta appends n, operands after their operator.
func (rs *Ruleset) emitMeta(n *metaNode) {
	pc := len(rs.metaCode)
	rs.metaCode = append(rs.metaCode, metaInst{code: n.code, num: n.num})
	switch n.code {
	case metaRule:
		rs.metaCode[pc].a = -1
		if n.ref != nil {
			rs.metaCode[pc].a = int32(n.ref.idx)
		}
	case metaNum:
	case metaSum:
		lo := len(rs.metaSums)
		for _, r := range n.refs {
			if r != nil {
				rs.metaSums = append(rs.metaSums, int32(r.idx))
			}
		}
		rs.metaCode[pc].a, rs.metaCode[pc].b = int32(lo), int32(len(rs.metaSums))
	case metaNot, metaNeg:
		rs.emitMeta(n.l)
	default:
		rs.emitMeta(n.l)
		rs.metaCode[pc].a = int32(len(rs.metaCode))
		rs.emitMeta(n.r)
	}
}

// valueAt is ruleValue by Rule.idx: a computed rule, or one whose gate is
// shut, is answered without reading its Rule.
func (p *pms) valueAt(i int32) float64 {
	if p.computed[i] {
		return p.vals[i]
	}
	if g := &p.rs.gates[i]; g.kind != gateNone && !p.gateOpen(g) {
		p.computed[i] = true
		return 0
	}
	return p.ruleValue(p.rs.order[i])
}

// gateOpen reports whether one of g's literals occurs in its subject.
func (p *pms) gateOpen(g *ruleGate) bool {
	var found []uint64
	if g.kind == gateHeader {
		found = p.textFound(p.getAt(g.get), gateHeader)
	} else {
		found = p.kindFound(g.kind)
	}
	for _, id := range p.rs.gateLits[g.lo:g.hi] {
		if found[id>>6]&(1<<(id&63)) != 0 {
			return true
		}
	}
	return false
}

// textFound returns the literals of the ruleset's scan of kind found in
// t (a subject of that kind), scanning t once.
func (p *pms) textFound(t *subjectText, kind uint8) []uint64 {
	sc := p.rs.scans[kind]
	if t.scan != sc {
		t.found, t.scan = sc.find(t.lowered(), p.bits(len(sc.lits))), sc
	}
	return t.found
}

// scanKind is the literal scan (Ruleset.scans) of the regexes of rules
// of type t: the gate kind of their subject; header and mimeheader rules
// share the header scan.
func scanKind(t RuleType) uint8 {
	switch t {
	case TypeBody:
		return gateBody
	case TypeRawbody:
		return gateRaw
	case TypeURI:
		return gateURI
	case TypeFull:
		return gateFull
	}
	return gateHeader
}

// kindTexts returns the subjects of a list kind (body, rawbody, uri,
// full).
func (p *pms) kindTexts(kind uint8) []*subjectText {
	switch kind {
	case gateBody:
		return p.body
	case gateRaw:
		return p.raw
	case gateURI:
		return p.uris
	case gateFull:
		return []*subjectText{p.full}
	}
	return nil
}

// subjectGroup is the key of the subjects a pattern rule reads (body,
// rawbody, uri, full, or a header request), "" for other rules.
func subjectGroup(r *Rule) string {
	switch r.Type {
	case TypeBody, TypeRawbody, TypeURI, TypeFull:
		return r.Type.String()
	case TypeHeader:
		return "header " + r.Header
	}
	return ""
}

// kindFound returns the literals found in any text of a subject kind.
func (p *pms) kindFound(kind uint8) []uint64 {
	if f := p.found[kind]; f != nil {
		return f
	}
	f := p.bits(len(p.rs.scans[kind].lits))
	for _, t := range p.kindTexts(kind) {
		for k, w := range p.textFound(t, kind) {
			f[k] |= w
		}
	}
	p.found[kind] = f
	return f
}

// evalMeta is the value of the flat meta starting at pc.
func (p *pms) evalMeta(pc int32) float64 {
	in := &p.rs.metaCode[pc]
	switch in.code {
	case metaRule:
		if in.a < 0 {
			return 0
		}
		return p.valueAt(in.a)
	case metaNum:
		return in.num
	case metaSum:
		s := 0.0
		for _, i := range p.rs.metaSums[in.a:in.b] {
			s += p.valueAt(i)
		}
		return s
	case metaNot:
		return b2f(p.evalMeta(pc+1) == 0)
	case metaNeg:
		return -p.evalMeta(pc + 1)
	case metaAnd:
		if a := p.evalMeta(pc + 1); a == 0 {
			return a
		}
		return p.evalMeta(in.a)
	case metaOr:
		if a := p.evalMeta(pc + 1); a != 0 {
			return a
		}
		return p.evalMeta(in.a)
	}
	a, b := p.evalMeta(pc+1), p.evalMeta(in.a)
	switch in.code {
	case metaAdd:
		return a + b
	case metaSub:
		return a - b
	case metaMul:
		return a * b
	case metaDiv:
		if b == 0 {
			return 0
		}
		return a / b
	case metaEq:
		return b2f(a == b)
	case metaNe:
		return b2f(a != b)
	case metaLt:
		return b2f(a < b)
	case metaGt:
		return b2f(a > b)
	case metaLe:
		return b2f(a <= b)
	case metaGe:
		return b2f(a >= b)
	}
	return 0
}
