package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runLint(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := newLintCmd()
	cmd.Flags().String("config", "", "")
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	code := 0
	if err != nil {
		code = exitCode(err)
	}
	return out.String(), code
}

func TestLint(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	db := filepath.Join(dir, "db")
	os.Mkdir(db, 0o755)
	os.WriteFile(filepath.Join(db, "good.ndb"), []byte(eicarNDB), 0o644)
	good := write("good.yaml", "hostname: mx.test\nspam:\n  enabled: false\nantivirus:\n  database_dir: "+db+"\n")
	bad := write("bad.yaml", "hostname: mx.test\nsmtp:\n  bare_lf: sometimes\n")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--config", good}, 0, "db: 1 signatures"},
		{[]string{"--config", bad}, 1, "bad.yaml:3: smtp.bare_lf: must be reject or normalize"},
		{[]string{"--config", good, "--print"}, 0, "bare_lf: reject"},
	}
	for _, tt := range tests {
		out, code := runLint(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("lint %v: exit %d, output:\n%s\nwant exit %d and %q", tt.args, code, out, tt.code, tt.want)
		}
	}
	os.WriteFile(filepath.Join(db, "bad.ndb"), []byte("Broken:0:*:zz\n"), 0o644)
	if out, code := runLint(t, "--config", good); code != 1 || !strings.Contains(out, "bad.ndb:1: ") {
		t.Errorf("bad database: exit %d\n%s", code, out)
	}
	rules := filepath.Join(dir, "rules")
	os.Mkdir(rules, 0o755)
	os.WriteFile(filepath.Join(rules, "10_local.cf"), []byte("body LOCAL_AD /ad/\nscore LOCAL_AD 1.0\nheader BROKEN_RULE Subject =~ /unterminated\n"), 0o644)
	if out, code := runLint(t, "--config", good, "--rules", rules); code != 1 || !strings.Contains(out, "10_local.cf:3") {
		t.Errorf("bad rule file: exit %d\n%s", code, out)
	}
	// without --config, --rules lints the rules alone (as spamassassin
	// --lint): not the demo's antivirus directory, which need not exist
	goodRules := filepath.Join(dir, "goodrules")
	os.Mkdir(goodRules, 0o755)
	os.WriteFile(filepath.Join(goodRules, "10_local.cf"), []byte("body LOCAL_AD /ad/\nscore LOCAL_AD 1.0\n"), 0o644)
	out, code := runLint(t, "--rules", goodRules)
	if code != 0 || strings.Contains(out, "clamav") || !strings.Contains(out, "1 active") {
		t.Errorf("lint --rules alone: exit %d\n%s", code, out)
	}
	if out, code := runLint(t, "--database", db); code != 1 || !strings.Contains(out, "bad.ndb:1: ") || strings.Contains(out, "rules:") {
		t.Errorf("lint --database alone: exit %d\n%s", code, out)
	}
}
