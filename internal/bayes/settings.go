package bayes

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// # Settings in rule files
//
// SpamAssassin keeps the Bayes tokenizer's settings in its .cf files, and
// the stock rules rely on them (72_active.cf lists some 330
// bayes_ignore_header lines). ReadSettings takes the ones that change
// tokens or thresholds from such files, so that "mailwall learn" and the
// scanner tokenize alike without the full rule engine:
//
//	bayes_ignore_header NAME
//	bayes_stopword_languages LANG... | disable
//	bayes_stopword_XX REGEX
//	bayes_max_token_length N
//	bayes_min_spam_num N, bayes_min_ham_num N
//
// Lines are read whatever if/ifplugin block they sit in (every block that
// holds them in the stock set is true for an engine with Bayes).

// ReadSettings applies the bayes_* lines of r to o. name is used in errors.
func ReadSettings(r io.Reader, name string, o *Options) error {
	st := settingsState{langs: []string{"en"}, stop: map[string]*regexp.Regexp{}}
	if err := st.read(r, name, o); err != nil {
		return err
	}
	return st.apply(o)
}

// LoadSettings reads the bayes_* lines of the .cf files at paths, in
// SpamAssassin's order: each directory's *.cf files sorted by name, a file
// path as it is. Missing paths are skipped.
func LoadSettings(o *Options, paths ...string) error {
	st := settingsState{langs: []string{"en"}, stop: map[string]*regexp.Regexp{}}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		files := []string{p}
		if fi.IsDir() {
			files, _ = filepath.Glob(filepath.Join(p, "*.cf"))
			sort.Strings(files)
		}
		for _, f := range files {
			if err := st.readFile(f, o); err != nil {
				return err
			}
		}
	}
	return st.apply(o)
}

type settingsState struct {
	langs   []string
	disable bool
	stop    map[string]*regexp.Regexp
}

func (st *settingsState) readFile(path string, o *Options) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bayes settings: %w", err)
	}
	defer f.Close()
	return st.read(f, path, o)
}

var reStopwordKey = regexp.MustCompile(`^bayes_stopword_([a-z]{2})$`)

func (st *settingsState) read(r io.Reader, name string, o *Options) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "bayes_") {
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		key = strings.ToLower(key)
		val = strings.TrimSpace(val)
		var err error
		switch {
		case key == "bayes_ignore_header":
			o.IgnoreHeaders = append(o.IgnoreHeaders, val)
		case key == "bayes_max_token_length":
			o.MaxTokenLength, err = strconv.Atoi(val)
		case key == "bayes_min_spam_num":
			o.MinSpam, err = strconv.ParseInt(val, 10, 64)
		case key == "bayes_min_ham_num":
			o.MinHam, err = strconv.ParseInt(val, 10, 64)
		case key == "bayes_stopword_languages":
			st.disable = val == "disable"
			st.langs = strings.FieldsFunc(strings.ToLower(val), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		case reStopwordKey.MatchString(key):
			lang := reStopwordKey.FindStringSubmatch(key)[1]
			st.stop[lang], err = StopwordsFromPerl(val)
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %s: %w", name, n, key, err)
		}
	}
	return sc.Err()
}

// apply sets o's stop word matcher from the languages read: the built-in
// English list unless a file defined bayes_stopword_en.
func (st *settingsState) apply(o *Options) error {
	if st.disable {
		o.NoStopwords = true
		return nil
	}
	var res []string
	for _, l := range st.langs {
		rx, ok := st.stop[l]
		switch {
		case ok:
			res = append(res, "(?:"+rx.String()+")")
		case l == "en":
			res = append(res, "(?:"+DefaultStopwords.String()+")")
		}
	}
	if len(res) == 0 {
		o.NoStopwords = true
		return nil
	}
	rx, err := regexp.Compile(strings.Join(res, "|"))
	if err != nil {
		return fmt.Errorf("bayes settings: stopwords: %w", err)
	}
	o.Stopwords = rx
	return nil
}
