package sarules

import (
	"sort"
	"sync"
	"sync/atomic"
)

// RuleType is what part of the message a rule looks at.
type RuleType uint8

const (
	TypeHeader RuleType = iota
	TypeBody
	TypeRawbody
	TypeFull
	TypeURI
	TypeMeta
	TypeMimeheader
)

var typeNames = [...]string{"header", "body", "rawbody", "full", "uri", "meta", "mimeheader"}

func (t RuleType) String() string { return typeNames[t] }

// Rule is one compiled rule.
type Rule struct {
	// The fields Check reads for every rule it runs come first, so that
	// they share a cache line or two: the rules are scattered over a
	// large heap and most are read once per message.
	idx       int
	getID     int32 // header rules: Header's id in Ruleset.getReqs
	Type      RuleType
	Neg       bool // !~
	Exists    bool // exists:Header
	Multiple  bool
	NoSubject bool // body rule: the first paragraph (the Subject's) is not read
	MaxHits   int
	Re        *Regex
	// tmpl: Re holds %{NAME} templates filled in per message (capture.go)
	tmpl *reTemplate
	Meta *metaExpr // meta rules
	// metaPC: a meta's start in Ruleset.metaCode (gate.go)
	metaPC int32
	Unset  *string
	Eval   string // eval rules
	Name   string

	Describe string
	File     string
	Line     int
	Priority int

	// header and mimeheader rules
	Header string // e.g. "Subject", "From:addr", "ALL"

	EvalArgs []string

	// tflags
	Net, Nice, Learn, UserConf, NoAutoLearn bool
	Tflags                                  string

	scores   [4]float64
	hasScore bool
	// inactive is why the rule does not run ("" = it runs).
	inactive string
	// blockedBy are statically inactive rules this meta depends on.
	blockedBy []*Rule
}

// Score returns the rule's score in score set set (0..3).
func (r *Rule) Score(set int) float64 { return r.scores[set&3] }

// Inactive says why the rule does not run, or "" if it runs.
func (r *Rule) Inactive() string { return r.inactive }

// Ruleset is a compiled, immutable set of rules and settings. Check may be
// called concurrently.
type Ruleset struct {
	rules map[string]*Rule
	sets  []*regexSet // regex_set.go
	// capturers are the rules with a named group, by name; templates
	// caches the expanded template regexes (capture.go)
	capturers map[string][]*Rule
	templates *templateCache
	order     []*Rule // definition order
	byType    [7][]*Rule
	metas     []*Rule // dependency order

	RequiredScore float64
	UseBayes      bool
	ReportSafe    int
	headers       []addHeader // add_header
	removeHeaders []string
	rewriteSubj   string
	// rewriteFrom and rewriteTo are rewrite_header From/To ("" = off).
	rewriteFrom, rewriteTo string
	reportTmpl             []string
	unsafeTmpl             []string // unsafe_report
	reportContact          string   // report_contact
	reportHostname         string   // report_hostname ("" = this host)
	// AutoLearn is the bayes_auto_learn family of settings.
	AutoLearn     AutoLearnSettings
	clearedReport bool
	// welcomelist/blocklist patterns (glob, lower case)
	welcomeFrom, blockFrom, welcomeTo, blockTo []string
	addrLists                                  map[string]*[]string       // enlist_addrlist, by list name
	globs                                      map[*[]string]*globList    // matchers of the lists above (glob.go)
	uriHostLists                               map[string]map[string]bool // enlist_uri_host: host -> listed (false: "!host")
	welcomeRcvd                                [][2]string
	redirectors                                []*Regex
	trusted, internal, msa                     []string

	replaceTags, replaceInter, replacePre, replacePost map[string]string
	replaceRules                                       map[string]bool
	scoresPending                                      map[string][4]float64
	describes                                          map[string]string
	tflags                                             map[string]string
	priorities                                         map[string]int

	okLocales       *string // ok_locales (nil: the default, "all")
	freemailDomains map[string]bool
	freemailGlobs   []string
	// freemailSeen caches freemailGlobs' answer by domain (string ->
	// bool), at most freemailSeenMax entries (freemailSeenN counts them)
	freemailSeen  sync.Map
	freemailSeenN atomic.Int64
	tld2, tld3    map[string]bool
	net           netConf // uridnsbl, askdns, ... (conf_net.go)

	unknown      map[string]int
	missingEvals map[string]int

	// gates, the flat metas and the rules Check runs (gate.go)
	scans [gateKinds]*litScanner
	// hsGroups are the Hyperscan patterns of the rules, compiled by
	// CompileHyperscan into hs (hs_pattern.go)
	hsGroups           []hsGroup
	hs                 atomic.Pointer[hsState]
	gates              []ruleGate // by Rule.idx
	gateLits           []int32
	getIDs             map[string]int32 // header requests of header rules
	getReqs            []string
	metaCode           []metaInst
	metaSums           []int32
	topRules, topMetas []int32 // scored rules by type, then scored metas

	// runSets[set] says by Rule.idx whether a rule runs in score set
	// set (Rule.runs), computed on first use (check.go).
	runSets [4]runSet
}

type addHeader struct {
	when  string // spam, ham, all
	name  string
	value string
}

func newRuleset() *Ruleset {
	return &Ruleset{
		rules:         map[string]*Rule{},
		RequiredScore: 5,
		UseBayes:      true,
		ReportSafe:    1,
		reportContact: "the administrator of that system",
		AutoLearn:     AutoLearnSettings{Enabled: true, HamThreshold: 0.1, SpamThreshold: 12},
		replaceTags:   map[string]string{}, replaceInter: map[string]string{},
		replacePre: map[string]string{}, replacePost: map[string]string{},
		replaceRules:    map[string]bool{},
		scoresPending:   map[string][4]float64{},
		describes:       map[string]string{},
		tflags:          map[string]string{},
		priorities:      map[string]int{},
		unknown:         map[string]int{},
		freemailDomains: map[string]bool{},
		tld2:            map[string]bool{}, tld3: map[string]bool{},
		missingEvals: map[string]int{},
	}
}

// Rule returns the named rule, or nil.
func (rs *Ruleset) Rule(name string) *Rule { return rs.rules[name] }

// Rules returns every rule sorted by name.
func (rs *Ruleset) Rules() []*Rule {
	out := append([]*Rule(nil), rs.order...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Stats summarises a Ruleset for lint.
type Stats struct {
	Total, Active, Inactive int
	// InactiveWhy counts inactive rules by reason.
	InactiveWhy map[string]int
	// Unknown counts directives mailwall does not implement, by name.
	Unknown map[string]int
	// MissingEvals counts rules per eval function mailwall lacks.
	MissingEvals map[string]int
}

// Stats returns rule counts.
func (rs *Ruleset) Stats() Stats {
	s := Stats{InactiveWhy: map[string]int{}, Unknown: rs.unknown, MissingEvals: rs.missingEvals}
	for _, r := range rs.order {
		s.Total++
		// lint's view: everything on (network tests, Bayes)
		if why := r.whyNot(3); why == "" {
			s.Active++
		} else {
			s.Inactive++
			s.InactiveWhy[why]++
		}
	}
	return s
}
