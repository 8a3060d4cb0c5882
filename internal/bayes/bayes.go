// Package bayes is mailwall's statistical spam classifier: the tokenizer,
// token database and chi-squared combining of SpamAssassin's Bayes plugin,
// over the shared state store, so several nodes can learn and classify
// against one database.
//
// # Database layout
//
// All keys start with Options.Prefix ("bayes:" by default):
//
//	<prefix>nspam, <prefix>nham   messages learned as spam / ham (counters)
//	<prefix>s:<hex>, <prefix>h:<hex>
//	                              spam / ham message counts of one token; <hex>
//	                              is the low 40 bits of the token's SHA-1
//	<prefix>seen:<msgid>          "s" or "h": how a message was learned
//
// A message adds one to each of its distinct tokens, so a token's count is
// the number of learned messages holding it.
//
// # Concurrency
//
// A Classifier is safe for concurrent use; it holds no state of its own
// beyond its options. Learning the same message on two nodes at once may
// count it twice; the seen record makes every later attempt a no-op.
package bayes

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"mailwall/internal/store"
)

// Field is one header field: its name as written and its decoded value.
type Field struct {
	Name, Value string
}

// Input is what the classifier reads of a message.
type Input struct {
	// Headers in message order, values decoded and unfolded. Callers that
	// parse the Received chain may append SpamAssassin's metadata
	// pseudo-headers (x-spam-relays-untrusted, x-spam-relays-external, ...,
	// lower-case names) to get its H*RU: and relay tokens.
	Headers []Field
	Body    string   // visible rendered text, Subject first; paragraphs separated by blank lines
	URIs    []string // every URI found in text and HTML
	MsgID   string   // identity for learn/forget; "" = derived from the headers and body
}

// Options tune a Classifier. Zero fields take the defaults.
type Options struct {
	Prefix         string         // key prefix in the store; default "bayes:"
	MinSpam        int64          // bayes_min_spam_num: spam needed before classifying; default 200
	MinHam         int64          // bayes_min_ham_num; default 200
	MaxTokenLength int            // bayes_max_token_length; default 15
	Stopwords      *regexp.Regexp // tokens matching it are skipped; nil = DefaultStopwords
	NoStopwords    bool           // skip no tokens (bayes_stopword_languages disable)
	// IgnoreHeaders are header names (any case) left out of the tokens
	// (bayes_ignore_header; the stock rules list some 330).
	IgnoreHeaders []string
}

// Classifier learns and classifies messages against one token database.
type Classifier struct {
	st     store.Store
	o      Options
	ignore map[string]bool // IgnoreHeaders, lower-cased
}

// Errors of Learn and Forget; callers count them as "not learned", they
// are not failures.
var (
	ErrAlreadyLearned = errors.New("bayes: message already learned as this class")
	ErrNotLearned     = errors.New("bayes: message was never learned")
)

// New returns a Classifier over st.
func New(st store.Store, o Options) *Classifier {
	if o.Prefix == "" {
		o.Prefix = "bayes:"
	}
	if o.MinSpam <= 0 {
		o.MinSpam = 200
	}
	if o.MinHam <= 0 {
		o.MinHam = 200
	}
	if o.MaxTokenLength <= 0 {
		o.MaxTokenLength = 15
	}
	if o.Stopwords == nil {
		o.Stopwords = DefaultStopwords
	}
	if o.NoStopwords {
		o.Stopwords = nil
	}
	c := &Classifier{st: st, o: o, ignore: make(map[string]bool, len(o.IgnoreHeaders))}
	for _, h := range o.IgnoreHeaders {
		c.ignore[strings.ToLower(h)] = true
	}
	return c
}

// Tokens returns the distinct tokens of in, keyed by their 40-bit hash in
// hex (the database key). It is exported for tests and for explaining
// verdicts.
func (c *Classifier) Tokens(in Input) map[string]string {
	tz := &tokenizer{maxLen: c.o.MaxTokenLength, stopwords: c.o.Stopwords}
	out := make(map[string]string)
	add := func(tok string) {
		if tok != "" {
			out[tokenHash(tok)] = tok
		}
	}
	n := 0
	emit := func(limit int) func(string) bool {
		n = 0
		return func(tok string) bool {
			add(tok)
			n++
			return n < limit
		}
	}
	e := emit(maxBodyTokens)
	for _, l := range paragraphs(in.Body) {
		if !tz.line(l, "", regionBody, e) {
			break
		}
	}
	e = emit(maxURITokens)
	for _, u := range in.URIs {
		if !tz.line(u, "", regionURI, e) {
			break
		}
	}
	e = emit(maxHeaderTokens)
	for _, g := range groupHeaders(in.Headers, c.ignore) {
		if !tz.line(g.val, "H"+g.name+":", regionHeader, e) {
			break
		}
	}
	return out
}

// tokenHash is the low 40 bits of the token's SHA-1, in hex.
func tokenHash(tok string) string {
	sum := sha1.Sum([]byte(tok))
	return hex.EncodeToString(sum[len(sum)-5:])
}

// paragraphs splits rendered text into the lines the tokenizer sees: one
// per paragraph, inner line breaks joined with spaces, as SpamAssassin's
// rendered body text array.
func paragraphs(body string) []string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(body, "\n\n") {
		p = strings.TrimSpace(strings.ReplaceAll(p, "\n", " "))
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c *Classifier) key(kind, hash string) string { return c.o.Prefix + kind + hash }

// msgID returns the learn identity of in.
func msgID(in Input) string {
	if in.MsgID != "" {
		return in.MsgID
	}
	h := sha1.New()
	for _, f := range in.Headers {
		fmt.Fprintf(h, "%s: %s\n", f.Name, f.Value)
	}
	h.Write([]byte(in.Body))
	return hex.EncodeToString(h.Sum(nil)) + "@mailwall_generated"
}

// Learn adds in to the database as spam or ham. A message already learned
// as the same class returns ErrAlreadyLearned and changes nothing; one
// learned as the other class is forgotten first.
func (c *Classifier) Learn(ctx context.Context, in Input, spam bool) error {
	id := msgID(in)
	seenKey := c.o.Prefix + "seen:" + id
	want := classTag(spam)
	prev, ok, err := c.st.Get(ctx, seenKey)
	if err != nil {
		return fmt.Errorf("bayes: learn: %w", err)
	}
	if ok && string(prev) == want {
		return ErrAlreadyLearned
	}
	toks := c.Tokens(in)
	deltas := make(map[string]int64, 2*len(toks)+2)
	if ok && (string(prev) == "s" || string(prev) == "h") {
		c.addDeltas(deltas, toks, string(prev) == "s", -1)
	}
	c.addDeltas(deltas, toks, spam, +1)
	if err := c.st.IncrBatch(ctx, deltas); err != nil {
		return fmt.Errorf("bayes: learn: %w", err)
	}
	if err := c.st.Put(ctx, seenKey, []byte(want), 0); err != nil {
		return fmt.Errorf("bayes: learn: %w", err)
	}
	return nil
}

// Forget removes a learned message's counts. A message never learned
// returns ErrNotLearned.
func (c *Classifier) Forget(ctx context.Context, in Input) error {
	seenKey := c.o.Prefix + "seen:" + msgID(in)
	prev, ok, err := c.st.Get(ctx, seenKey)
	if err != nil {
		return fmt.Errorf("bayes: forget: %w", err)
	}
	if !ok || (string(prev) != "s" && string(prev) != "h") {
		return ErrNotLearned
	}
	deltas := make(map[string]int64)
	c.addDeltas(deltas, c.Tokens(in), string(prev) == "s", -1)
	if err := c.st.IncrBatch(ctx, deltas); err != nil {
		return fmt.Errorf("bayes: forget: %w", err)
	}
	if err := c.st.Delete(ctx, seenKey); err != nil {
		return fmt.Errorf("bayes: forget: %w", err)
	}
	return nil
}

func classTag(spam bool) string {
	if spam {
		return "s"
	}
	return "h"
}

// addDeltas adds d to the message counter and to each token's counter of
// one class.
func (c *Classifier) addDeltas(deltas map[string]int64, toks map[string]string, spam bool, d int64) {
	kind, total := "h:", "nham"
	if spam {
		kind, total = "s:", "nspam"
	}
	deltas[c.o.Prefix+total] += d
	for h := range toks {
		deltas[c.key(kind, h)] += d
	}
}

// Counts returns how many spam and ham messages the database has learned.
func (c *Classifier) Counts(ctx context.Context) (nspam, nham int64, err error) {
	n, err := c.st.Counts(ctx, []string{c.o.Prefix + "nspam", c.o.Prefix + "nham"})
	if err != nil {
		return 0, 0, fmt.Errorf("bayes: counts: %w", err)
	}
	return n[0], n[1], nil
}
