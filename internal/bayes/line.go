package bayes

import (
	"regexp"
	"strings"
)

// tokenizer holds the settings one tokenization needs.
type tokenizer struct {
	maxLen    int            // bayes_max_token_length
	stopwords *regexp.Regexp // anchored, case-insensitive; nil = none
	stopCache map[string]bool
}

// line splits one line into tokens and hands each to emit; emit returns
// false to stop early (the per-source token limit was reached).
func (tz *tokenizer) line(s, prefix string, reg region, emit func(string) bool) bool {
	s = cleanLine(s)
	if strings.Contains(s, "...") {
		s = reEllipsis.ReplaceAllString(s, "$1 $2 $3")
	}
	if strings.Contains(s, "--") {
		s = reDashes.ReplaceAllString(s, "$1 $2 $3")
	}
	if reg != regionHeader {
		s = lowerTitleCase(s)
	}
	for _, tok := range strings.Split(s, " ") {
		if tok == "" {
			continue
		}
		if !tz.word(trimPunct(tok), prefix, reg, emit) {
			return false
		}
	}
	return true
}

// word emits the tokens of one whitespace-separated word.
func (tz *tokenizer) word(tok, prefix string, reg region, emit func(string) bool) bool {
	if len(tok) < 3 || tz.isStopword(tok) {
		return true
	}
	if reg != regionHeader {
		if strings.Contains(tok, "@") && hasAt(tok) {
			for _, t := range mailAddrTokens(tok) {
				if !emit(t) {
					return false
				}
			}
		} else if looksLikeDomain(tok) {
			if !emit("UD:" + tok) {
				return false
			}
			for rest := tok; ; {
				dot := strings.IndexByte(rest, '.')
				if dot <= 0 || dot == len(rest)-1 {
					break
				}
				rest = rest[dot+1:]
				if !emit("UD:" + rest) {
					return false
				}
			}
		}
	}
	if len(tok) > tz.maxLen && !strings.Contains(tok, "*") {
		if hasTwoCont(tok) {
			if chars := utf8Chars(tok); len(chars) > 0 {
				for _, c := range chars {
					if !emit(prefix + "u8:" + c) {
						return false
					}
				}
				return true
			}
		}
		if reg != regionURI {
			tok = skipToken(tok)
		}
	}
	if reg != regionHeader {
		stripped, changed := stripNonWord(tok)
		if changed && !emit(prefix+stripped) {
			return false
		}
		if hasUpper(tok) {
			lower := asciiLower(tok)
			if !emit(prefix + lower) {
				return false
			}
			if changed {
				ls, _ := stripNonWord(lower)
				if !emit(prefix + ls) {
					return false
				}
			}
		}
	}
	return emit(prefix + tok)
}

func (tz *tokenizer) isStopword(tok string) bool {
	if tz.stopwords == nil {
		return false
	}
	if v, ok := tz.stopCache[tok]; ok {
		return v
	}
	v := tz.stopwords.MatchString(tok)
	if tz.stopCache == nil {
		tz.stopCache = make(map[string]bool)
	}
	tz.stopCache[tok] = v
	return v
}

// hasAt reports /\S@\S/: an @ with a non-space byte on both sides.
func hasAt(tok string) bool {
	for i := 1; i+1 < len(tok); i++ {
		if tok[i] == '@' {
			return true
		}
	}
	return false
}

// looksLikeDomain reports /\S\.[a-z]/i.
func looksLikeDomain(tok string) bool {
	for i := 1; i+1 < len(tok); i++ {
		if tok[i] == '.' {
			c := tok[i+1] | 0x20
			if c >= 'a' && c <= 'z' {
				return true
			}
		}
	}
	return false
}

// mailAddrTokens returns U*user, D*domain and D* for each parent domain,
// splitting at the last @ (SpamAssassin's _tokenize_mail_addrs).
func mailAddrTokens(addr string) []string {
	at := strings.LastIndexByte(addr[:max(len(addr)-1, 0)], '@')
	if at <= 0 {
		return nil
	}
	dom := addr[at+1:]
	toks := []string{"U*" + addr[:at], "D*" + dom}
	for {
		dot := strings.IndexByte(dom, '.')
		if dot <= 0 || dot == len(dom)-1 {
			break
		}
		dom = dom[dot+1:]
		toks = append(toks, "D*"+dom)
	}
	return toks
}
