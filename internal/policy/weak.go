package policy

import (
	_ "embed"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// # Weak passwords
//
// A password is weak when it is shorter than MinPasswordLen characters,
// equals the user name, its local part, the domain or the domain's first
// label (case-insensitive), or is on the bundled list of the most common
// passwords (common-passwords.txt). Default account names are flagged by
// the audit whenever they can log in.

// MinPasswordLen is the shortest password `mailwall users` accepts.
const MinPasswordLen = 10

// DefaultAccounts are names attackers try first.
var DefaultAccounts = []string{"postmaster", "webmaster", "admin", "test"}

//go:embed common-passwords.txt
var commonFile string

var (
	commonOnce sync.Once
	commonList []string
	commonSet  map[string]bool
)

// CommonPasswords returns the bundled list, lower-cased, most common first.
func CommonPasswords() []string {
	commonOnce.Do(func() {
		commonSet = map[string]bool{}
		for _, l := range strings.Split(commonFile, "\n") {
			l = strings.TrimSpace(l)
			if l == "" || l[0] == '#' {
				continue
			}
			k := strings.ToLower(l)
			if !commonSet[k] {
				commonSet[k] = true
				commonList = append(commonList, k)
			}
		}
	})
	return commonList
}

// nameCandidates are the passwords derived from an account name: the
// name, its local part, the domain and the domain's first label.
func nameCandidates(user string) []string {
	user = strings.ToLower(user)
	c := []string{user}
	local, domain, found := strings.Cut(user, "@")
	if found {
		c = append(c, local, domain)
		if label, _, ok := strings.Cut(domain, "."); ok {
			c = append(c, label)
		}
	}
	return c
}

// WeakPassword returns why pw is too weak for user, or "".
func WeakPassword(user, pw string) string {
	lp := strings.ToLower(pw)
	for i, c := range nameCandidates(user) {
		if lp == c {
			if i == 0 || i == 1 {
				return "password equals the user name"
			}
			return "password equals the domain"
		}
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return "password shorter than 10 characters"
	}
	CommonPasswords()
	if commonSet[lp] {
		return "password is on the common-password list"
	}
	return ""
}

// IsDefaultAccount reports whether the local part of user is a default
// account name.
func IsDefaultAccount(user string) bool {
	local, _, _ := strings.Cut(strings.ToLower(user), "@")
	for _, d := range DefaultAccounts {
		if local == d {
			return true
		}
	}
	return false
}

// Finding is one problem the audit found.
type Finding struct {
	User   string
	Reason string
}

// AuditUser checks one account against what can be known from its hash:
// candidate passwords (name, domain, the common list) are tried against
// it; a default account that can log in, and a password never checked
// against the rules (so its length is unknown), are reported too.
// tries bounds the candidates tried (0 = all).
func AuditUser(u User, tries int) []Finding {
	var out []Finding
	if u.Disabled() {
		return nil
	}
	if IsDefaultAccount(u.Name) {
		out = append(out, Finding{u.Name, "default account name can log in"})
	}
	cands := append(nameCandidates(u.Name), CommonPasswords()...)
	if tries > 0 && tries < len(cands) {
		cands = cands[:tries]
	}
	names := len(nameCandidates(u.Name))
	if i := firstMatch(u.Hash, cands); i >= 0 {
		why := WeakPassword(u.Name, cands[i])
		if i >= names {
			why = "password is on the common-password list"
		}
		out = append(out, Finding{u.Name, why})
	}
	if !u.Checked {
		out = append(out, Finding{u.Name, "password not set with mailwall users; length and strength unknown"})
	}
	return out
}

// firstMatch returns the lowest index of a candidate matching hash, or -1.
// Candidates are checked on every CPU: each check costs tens of
// milliseconds by design.
func firstMatch(hash string, cands []string) int {
	var next atomic.Int64
	var best atomic.Int64
	best.Store(int64(len(cands)))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= best.Load() {
					return
				}
				if CheckPassword(hash, cands[i]) {
					for {
						b := best.Load()
						if i >= b || best.CompareAndSwap(b, i) {
							break
						}
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	if b := best.Load(); b < int64(len(cands)) {
		return int(b)
	}
	return -1
}
