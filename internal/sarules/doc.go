// Package sarules is a SpamAssassin-compatible rule engine: it loads .cf rule
// files (the stock set, site local.cf, user prefs), compiles their Perl
// regular expressions, builds SpamAssassin's views of a message and scores
// it the way spamassassin -t does.
//
// It imports nothing else of mailwall; adapters (internal/scan/spam, the
// spamd server, cmd check) wrap it.
//
// # Pipeline
//
//	Load(dirs) -> parse .cf (conf*.go) -> compile rules (compile.go)
//	NewMessage(raw) -> views: headers, body, rawbody, full, uri (message*.go)
//	Ruleset.Check -> run head/body/rawbody/full/uri/eval rules, then metas,
//	                 score, render headers and report (check.go, result.go)
//
// # Safety
//
// Rules are data: nothing in a rule file runs code. Every regex match is
// bounded: the linear-time Go engine runs wherever the regex allows; the
// backtracking matcher (regex_bt.go) used for lookaround and backreferences
// stops after a fixed number of steps and counts as "no match". Body rules
// see at most MaxPartBytes bytes per part.
package sarules
