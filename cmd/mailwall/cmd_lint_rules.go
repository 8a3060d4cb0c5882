package main

import (
	"fmt"
	"io"
	"sort"

	"mailwall/internal/sarules"
)

// lintRules loads rulesDir (and prefs) like spamassassin --lint: it prints
// every problem with file:line, then how many rules are active and why the
// others are not. errors is the number of syntax errors (lint exits
// non-zero when it is not 0); err is for an unreadable directory.
func lintRules(rulesDir, prefs string, w io.Writer) (errors int, err error) {
	rs, diags, err := sarules.Load([]string{rulesDir}, sarules.LoadOptions{Prefs: prefs})
	if err != nil {
		return 0, fmt.Errorf("lint rules: %w", err)
	}
	for _, d := range diags {
		if d.Severity == sarules.Error {
			errors++
		}
		fmt.Fprintln(w, d)
	}
	st := rs.Stats()
	fmt.Fprintf(w, "rules: %d total, %d active, %d inactive\n", st.Total, st.Active, st.Inactive)
	printCounts(w, "inactive", st.InactiveWhy)
	printCounts(w, "missing eval", st.MissingEvals)
	printCounts(w, "unknown directive", st.Unknown)
	return errors, nil
}

func printCounts(w io.Writer, label string, m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %s (%d rules)\n", label, k, m[k])
	}
}
