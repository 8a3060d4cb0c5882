package sarules

import (
	"context"
	"math"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// BayesHook supplies the Bayes spam probability for check_bayes rules.
// It is called at most once per Check, from the checking goroutine.
type BayesHook interface {
	SpamProbability(ctx context.Context, m *Message) (p float64, ok bool)
}

// DNSHook answers the look-ups of network rules. It must be safe for
// concurrent use and honour ctx.
type DNSHook interface {
	LookupA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// CheckOptions tunes one Check.
type CheckOptions struct {
	// Local disables every network test (spamassassin -L).
	Local bool
	Bayes BayesHook
	DNS   DNSHook
	// DNSTimeout bounds all network look-ups of one Check (they run in
	// parallel); zero = 10 s. Rules whose answers are late do not hit.
	DNSTimeout time.Duration
	// Envelope is the SMTP envelope, when the caller knows it (SPF, DMARC,
	// _SENDERDOMAIN_); nil = taken from the Received and Return-Path
	// headers as SpamAssassin does.
	Envelope *Envelope
	// Gateway is mailwall's own trust: its trusted networks and the hop
	// it received the message over (trust.go); nil = the rule files'
	// trusted_networks and the message's Received headers alone.
	Gateway *Gateway
	// Now is the time date tests compare against; zero = time.Now().
	Now time.Time
}

// Hit is one rule that fired.
type Hit struct {
	Name        string
	Score       float64
	Description string
	Area        string // "BODY: ", "RAW: ", "URI: ", "" (header, meta, eval)
	Value       float64
}

// Header is a header field Check wants added (add_header), rendered.
type Header struct{ Name, Value string }

// Result is the outcome of Check.
type Result struct {
	Score, Required float64
	IsSpam          bool
	Hits            []Hit
	Headers         []Header
	ScoreSet        int
	Bayes           float64
	BayesOK         bool
	Autolearn       string
	// SubHits are the __ sub-rules that hit (they carry no score but
	// explain the metas).
	SubHits []string
	// Subject is the rewritten Subject when the message is spam and
	// rewrite_header Subject is set ("" otherwise).
	Subject string
	// SubjectTag is the rewrite_header Subject text with its template
	// tags expanded and line breaks turned into spaces, as SpamAssassin
	// puts it before a spam's Subject; "" when rewrite_header Subject is
	// not set. It is filled in for ham too, so that a caller whose own
	// threshold tags the message can use it.
	SubjectTag string
	rs         *Ruleset
	m          *Message
}

// pms is the per-message state of one Check (PerMsgStatus).
type pms struct {
	ctx   context.Context
	rs    *Ruleset
	m     *Message
	o     CheckOptions
	set   int
	order []*Rule                 // the rules that hit, in hit order
	gets  map[string]*subjectText // requests outside Ruleset.getIDs
	// getByID: the header requests of Ruleset.getReqs, nil until asked
	getByID []*subjectText
	// fromAddrs: allFromAddrs, once asked
	fromAddrs *[]string
	// found[kind]: the literals found in a gate kind's texts (gate.go)
	found [gateKinds][]uint64
	body  []*subjectText
	raw   []*subjectText
	uris  []*subjectText // canonical forms of rawURIs
	// rawURIs: the URIs of the HTML links and of the text, as found
	rawURIs []string
	full    *subjectText
	// hs: the Hyperscan prefilter when compiled (hs_pattern.go)
	hs *hsState
	// hsJoined[kind]: the subjects of a list kind joined by newlines,
	// scanned by Hyperscan once for the whole list
	hsJoined [gateKinds]*subjectText

	res *Result
	// computed and vals are by Rule.idx: whether the rule was computed
	// and its value (pooled: scratch).
	computed []bool
	vals     []float64
	scratch  *checkScratch
	runs     []bool // rs.runTable(set)

	// captures are the named-group values saved by capture rules
	// (capture.go)
	captures map[string][]string
	// uriListed: the URI host lists a URI host is on (eval_net_uri.go)
	uriListed map[string]bool

	relayCache *relayInfo
	mimeCache  *mimeStats
	madiff     *madiffStats // multipart_alternative_difference (eval_more.go)
	// check_for_uppercase's percentage, once computed (eval_more.go)
	upperDone bool
	upperPct  float64
	net       *netState // network look-ups (eval_net.go)

	misc *miscState // eval_image.go, eval_misc.go

	// dateDiff's result (date.go)
	dateDone, dateDiffOK bool
	dateDiffV            float64
}

// subjectText is one string rules match, with its latin1 form for the Go
// engine and its lower-case form for the literal prefilter, computed once.
type subjectText struct {
	s, l1, lower  string // l1: see latin1For; lower: see lowered
	ok            bool   // false: no value (header absent, no default)
	l1ok, lowerOK bool
	// found is the literals of scan occurring in lower (litscan.go).
	found []uint64
	scan  *litScanner
	// setFound[k] is the members of the ruleset's set k that may match
	// s, with setScanned set once scanned (regex_set.go)
	setFound []uint64
	// hsScans: the Hyperscan databases s was scanned with, and the
	// patterns of each that may match it
	hsScans []hsScan
}

// lowered returns s with ASCII letters in lower case (for the literal
// prefilter), computed on first use: most subjects are only read by
// regex sets and never need it.
func (t *subjectText) lowered() string {
	if !t.lowerOK {
		t.lower, t.lowerOK = lowerASCII(t.s), true
	}
	return t.lower
}

// latin1For returns the latin1 form of the subject if re has a Go regexp
// to use it, else "" (Match and Count convert if they need it after all).
func (t *subjectText) latin1For(re *Regex) string {
	if re.re == nil {
		return ""
	}
	if !t.l1ok {
		t.l1, t.l1ok = latin1String(t.s), true
	}
	return t.l1
}

func newSubject(s string) *subjectText {
	return &subjectText{s: s, ok: true}
}

// lowerASCII is asciiLower with one allocation (none when s has no
// upper-case letter): the bytes it fills are never written again, so
// they can back the string.
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, len(s))
	copy(b, s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return unsafe.String(&b[0], len(b))
}

func subjects(list []string) []*subjectText {
	out := make([]*subjectText, len(list))
	block := make([]subjectText, len(list)) // one allocation for all
	for i, s := range list {
		block[i] = subjectText{s: s, ok: true}
		out[i] = &block[i]
	}
	return out
}

// runs reports whether r runs in score set set.
func (r *Rule) runs(set int) bool {
	if r.scores[set] == 0 || r.inactive != "" {
		return false
	}
	if r.Type != TypeMeta && (r.Net && set&1 == 0 || r.Learn && set&2 == 0) {
		return false
	}
	return r.blocker(set) == nil
}

// whyNot says why r does not run in score set set ("" = it runs), apart
// from a zero score.
func (r *Rule) whyNot(set int) string {
	if r.inactive != "" {
		return r.inactive
	}
	// QUIRK: like SpamAssassin, tflags net and learn only keep
	// non-meta rules from running
	if r.Net && set&1 == 0 && r.Type != TypeMeta {
		return "network test"
	}
	if r.Learn && set&2 == 0 && r.Type != TypeMeta {
		return "Bayes test"
	}
	if d := r.blocker(set); d != nil {
		return "depends on inactive " + d.Name
	}
	return ""
}

// blocker is the first rule of r.blockedBy that keeps r from running in
// score set set, nil if none.
func (r *Rule) blocker(set int) *Rule {
	for _, d := range r.blockedBy {
		if !(d.Net && set&1 == 0) && !(d.Learn && set&2 == 0) {
			return d
		}
	}
	return nil
}

// runSet is Ruleset.runSets' entry for one score set.
type runSet struct {
	once sync.Once
	runs []bool
}

// runTable is, by Rule.idx, whether each rule runs in score set set.
// Rules do not change after Load, so it is computed once.
func (rs *Ruleset) runTable(set int) []bool {
	t := &rs.runSets[set]
	t.once.Do(func() {
		t.runs = make([]bool, len(rs.order))
		for i, r := range rs.order {
			t.runs[i] = r.runs(set)
		}
	})
	return t.runs
}

// checkScratch is the per-rule state of one Check, reused by the next
// (scratchPool) when no network look-up may still hold the Check.
type checkScratch struct {
	computed []bool
	vals     []float64
	gets     map[string]*subjectText
	getByID  []*subjectText
	// words backs the bitsets of a Check (bits): words[:used] are
	// handed out and cleared before the next Check
	words []uint64
	used  int
}

// bits returns a zeroed bitset of n bits that lives as long as the Check:
// carved from the pooled scratch, so the literal and set bitsets of the
// subjects (tens of kilobytes a message) are not garbage each time.
func (p *pms) bits(n int) []uint64 {
	w := (n + 63) / 64
	sc := p.scratch
	if sc == nil {
		return make([]uint64, w)
	}
	if sc.used+w > len(sc.words) {
		// a new block; the old one stays with the bitsets cut from it
		sc.words, sc.used = make([]uint64, max(2*len(sc.words), 4096, w)), 0
	}
	b := sc.words[sc.used : sc.used+w : sc.used+w]
	sc.used += w
	return b
}

var scratchPool sync.Pool // of *checkScratch

func getScratch(n, ngets int) *checkScratch {
	sc, _ := scratchPool.Get().(*checkScratch)
	if sc == nil || cap(sc.vals) < n || cap(sc.getByID) < ngets {
		return &checkScratch{computed: make([]bool, n), vals: make([]float64, n),
			gets: make(map[string]*subjectText, 16), getByID: make([]*subjectText, ngets)}
	}
	sc.computed, sc.vals, sc.getByID = sc.computed[:n], sc.vals[:n], sc.getByID[:ngets]
	clear(sc.computed)
	clear(sc.vals)
	clear(sc.gets)
	clear(sc.getByID)
	clear(sc.words[:sc.used])
	sc.used = 0
	return sc
}

// Check scores m. It is safe to call concurrently.
func (rs *Ruleset) Check(ctx context.Context, m *Message, o CheckOptions) *Result {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	sc := getScratch(len(rs.order), len(rs.getReqs))
	p := &pms{ctx: ctx, rs: rs, m: m, o: o, gets: sc.gets, getByID: sc.getByID, hs: rs.hs.Load(),
		computed: sc.computed, vals: sc.vals, scratch: sc}
	if !o.Local {
		p.set |= 1
	}
	if rs.UseBayes && o.Bayes != nil {
		p.set |= 2
	}
	p.runs = rs.runTable(p.set)
	p.body = subjects(m.body)
	p.raw = subjects(m.rawbody)
	p.rawURIs = append(m.uris[:len(m.uris):len(m.uris)], textURIList(m.body, rs.net.tld)...)
	p.uris = subjects(canonURIs(p.rawURIs, rs.redirectors))
	p.full = newSubject(m.rawString())
	p.startNet()
	defer p.stopNet()
	res := &Result{Required: rs.RequiredScore, ScoreSet: p.set, rs: rs, m: m}
	p.res = res
	if p.set&2 != 0 {
		res.Bayes, res.BayesOK = o.Bayes.SpamProbability(ctx, m)
	}
	p.runRules()
	p.finish(res)
	if p.net == nil {
		p.computed, p.vals, p.gets, p.getByID, p.scratch = nil, nil, nil, nil, nil
		scratchPool.Put(sc)
	}
	return res
}

// hit records that r hit; ruleValue computes each rule once, so once
// per rule.
func (p *pms) hit(r *Rule) {
	p.order = append(p.order, r)
}

// runRules runs every scored (non-__) rule; __ sub-rules run lazily
// when a meta asks for them (value), so a meta whose other operands
// already decide it never pays for an expensive sub-rule.
func (p *pms) runRules() {
	for _, i := range p.rs.topRules {
		p.valueAt(i)
	}
	for _, i := range p.rs.topMetas {
		p.valueAt(i)
	}
}

// value computes a rule once and returns its hit value (0: no hit, did
// not run, or unknown).
func (p *pms) value(name string) float64 {
	r := p.rs.rules[name]
	if r == nil {
		return 0
	}
	return p.ruleValue(r)
}

// ruleValue is value for a rule of p's ruleset.
func (p *pms) ruleValue(r *Rule) float64 {
	if p.computed[r.idx] {
		return p.vals[r.idx]
	}
	p.computed[r.idx] = true
	if !p.runs[r.idx] || p.ctx.Err() != nil {
		return 0
	}
	var v float64
	switch {
	case r.Type == TypeMeta:
		v = p.evalMeta(r.metaPC)
	case r.Eval != "":
		v = float64(p.runEval(r, p.res))
	case r.tmpl != nil:
		v = float64(p.runTemplate(r))
	default:
		v = float64(p.runPattern(r))
		if v != 0 && r.Re != nil && r.Re.names != nil && !r.Neg {
			p.saveCaptures(r)
		}
	}
	if v != 0 {
		p.hit(r)
	}
	p.vals[r.idx] = v
	return v
}

// runPattern returns the number of matches of a pattern rule (0 or 1
// unless tflags multiple).
func (p *pms) runPattern(r *Rule) int {
	switch r.Type {
	case TypeHeader:
		return p.headerRule(r)
	case TypeMimeheader:
		return p.mimeheaderRule(r)
	case TypeBody:
		if r.NoSubject && len(p.body) > 0 {
			return p.matchList(r, p.body[1:], gateBody)
		}
		return p.matchList(r, p.body, gateBody)
	case TypeRawbody:
		return p.matchList(r, p.raw, gateRaw)
	case TypeURI:
		return p.matchList(r, p.uris, gateURI)
	case TypeFull:
		return p.matchList(r, []*subjectText{p.full}, gateFull)
	}
	return 0
}

// matchOne is the value of pattern rule r on subject t; hs: r's
// Hyperscan pattern, if any, was found in t (or in the list t is in).
func (p *pms) matchOne(r *Rule, t *subjectText, hs bool) int {
	if !r.Re.mayMatchText(t) {
		return 0
	}
	bySet := false
	if ref := p.hsRef(r); ref != nil {
		if !hs && !p.hsMayMatch(ref, t) {
			return 0
		}
	} else if !p.maySetMatch(r.Re, t) {
		return 0
	} else {
		bySet = r.Re.set != nil
	}
	if r.Multiple {
		return r.Re.Count(t.s, t.latin1For(r.Re), r.MaxHits)
	}
	if bySet && r.Re.setExact {
		return 1 // the set found it
	}
	if r.Re.Match(t.s, t.latin1For(r.Re)) {
		return 1
	}
	return 0
}

// matchList is the value of pattern rule r on a list of subjects of
// kind (a gate kind).
func (p *pms) matchList(r *Rule, list []*subjectText, kind uint8) int {
	hs := false
	if ref := p.hsRef(r); ref != nil && len(list) > 0 {
		if !p.hsListMayMatch(ref, kind) {
			return 0
		}
		hs = true
	}
	n := 0
	for _, t := range list {
		n += p.matchOne(r, t, hs)
		if n > 0 && (!r.Multiple || (r.MaxHits > 0 && n >= r.MaxHits)) {
			break
		}
	}
	if r.MaxHits > 0 && n > r.MaxHits {
		n = r.MaxHits
	}
	return n
}

func (p *pms) headerRule(r *Rule) int {
	t := p.getAt(r.getID)
	if r.Exists {
		if t.ok {
			return 1
		}
		return 0
	}
	if !t.ok && r.Unset != nil {
		t = newSubject(*r.Unset)
	}
	if r.Neg {
		if ref := p.hsRef(r); (ref == nil || p.hsMayMatch(ref, t)) && r.Re.Match(t.s, t.latin1For(r.Re)) {
			return 0
		}
		return 1
	}
	return p.matchOne(r, t, false)
}

func (p *pms) mimeheaderRule(r *Rule) int {
	name, raw := r.Header, false
	if strings.HasSuffix(name, ":raw") {
		name, raw = strings.TrimSuffix(name, ":raw"), true
	}
	for _, part := range p.m.Parts {
		vals := headerValues(part.Header, name, raw)
		if len(vals) == 0 {
			continue
		}
		if r.Exists {
			return 1
		}
		t := newSubject(vals[len(vals)-1])
		if r.Re.Match(t.s, t.latin1For(r.Re)) != r.Neg {
			return 1
		}
	}
	return 0
}

func (p *pms) finish(res *Result) {
	for _, r := range p.order {
		n := r.Name
		if strings.HasPrefix(n, "__") {
			res.SubHits = append(res.SubHits, n)
			continue
		}
		sc := r.scores[p.set]
		res.Score += sc
		res.Hits = append(res.Hits, Hit{Name: n, Score: sc, Description: r.Describe, Area: areaOf(r), Value: p.vals[r.idx]})
	}
	res.Score = math.Round(res.Score*1000) / 1000
	res.IsSpam = res.Score >= res.Required
	res.Autolearn = "no"
	if p.set&2 == 0 {
		res.Autolearn = "disabled"
	}
	sort.SliceStable(res.Hits, func(i, j int) bool { return res.Hits[i].Name < res.Hits[j].Name })
	res.Headers = res.renderHeaders()
	if p.rs.rewriteSubj != "" {
		res.SubjectTag = strings.ReplaceAll(res.expand(p.rs.rewriteSubj), "\n", " ")
	}
	if res.IsSpam && p.rs.rewriteSubj != "" {
		res.Subject = strings.TrimSpace(res.expand(p.rs.rewriteSubj) + " " + p.m.HeaderGet("subject"))
	}
}

func areaOf(r *Rule) string {
	switch r.Type {
	case TypeBody:
		return "BODY: "
	case TypeRawbody:
		return "RAW: "
	case TypeURI:
		return "URI: "
	case TypeFull:
		return "FULL: "
	}
	return ""
}

// Tests returns the names of the rules that hit, sorted, without __ rules.
func (r *Result) Tests() []string {
	out := make([]string, 0, len(r.Hits))
	for _, h := range r.Hits {
		out = append(out, h.Name)
	}
	return out
}
