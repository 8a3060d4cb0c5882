package policy

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"mailwall/internal/spool"
)

// # Users file
//
// One account per line, "name:hash[:flags]"; blank lines and lines
// starting with '#' are ignored:
//
//	# mailwall users file
//	alice@example.test:$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA:checked
//	bob@example.test:$2y$10$abcdefghijklmnopqrstuuMX.Ypg4mm8jbQ8G5c8kA0BbLBoF2QDe
//	old@example.test:!$2y$10$...
//
// name is the login (case-insensitive, usually an address). hash is an
// argon2id PHC string (what `mailwall users add` writes) or a bcrypt hash
// ($2a$, $2b$, $2y$) as written by htpasswd -B or doveadm; a hash starting
// with '!' or '*' is a disabled account. flags is a comma list: "checked"
// means the password passed the weak-password rules when it was set (only
// `mailwall users` can know, since the file keeps no passwords).
// The file is re-read when it changes, like the access map.

// User is one account of the users file.
type User struct {
	Name    string
	Hash    string
	Checked bool // password passed the weak-password rules when set
}

// Disabled reports whether the account cannot log in.
func (u User) Disabled() bool {
	return u.Hash == "" || u.Hash[0] == '!' || u.Hash[0] == '*'
}

// ParseUsers parses a users file; errors name name:line.
func ParseUsers(name string, data []byte) ([]User, error) {
	var users []User
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		f := strings.Split(s, ":")
		if len(f) < 2 || len(f) > 3 || f[0] == "" || f[1] == "" {
			return nil, fmt.Errorf("%s:%d: want name:hash[:flags]", name, line)
		}
		u := User{Name: strings.ToLower(f[0]), Hash: f[1]}
		if len(f) == 3 {
			for _, fl := range strings.Split(f[2], ",") {
				switch strings.TrimSpace(fl) {
				case "checked":
					u.Checked = true
				case "":
				default:
					return nil, fmt.Errorf("%s:%d: unknown flag %q", name, line, fl)
				}
			}
		}
		if !u.Disabled() && !knownHash(u.Hash) {
			return nil, fmt.Errorf("%s:%d: %s: unsupported hash (want argon2id or bcrypt)", name, line, u.Name)
		}
		if prev, dup := seen[u.Name]; dup {
			return nil, fmt.Errorf("%s:%d: %s already defined on line %d", name, line, u.Name, prev)
		}
		seen[u.Name] = line
		users = append(users, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return users, nil
}

// LoadUsers reads a users file; a missing file is an empty list.
func LoadUsers(path string) ([]User, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	return ParseUsers(path, data)
}

// SaveUsers writes users to path durably (temp file, fsync, rename), mode
// 0600 since hashes can be attacked offline.
func SaveUsers(path string, users []User) error {
	var b bytes.Buffer
	b.WriteString("# mailwall users file: name:hash[:flags] (see mailwall users --help)\n")
	sorted := slices.Clone(users)
	slices.SortFunc(sorted, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	for _, u := range sorted {
		if strings.ContainsAny(u.Name, ":\r\n") || strings.ContainsAny(u.Hash, ":\r\n") {
			return fmt.Errorf("users: bad name or hash for %q", u.Name)
		}
		b.WriteString(u.Name + ":" + u.Hash)
		if u.Checked {
			b.WriteString(":checked")
		}
		b.WriteByte('\n')
	}
	if err := spool.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	return nil
}

// userDB is the parsed file, by lower-case name.
type userDB map[string]User

type usersFile = watched[userDB]

func openUsersFile(path string, log *slog.Logger) (*usersFile, error) {
	return openWatched(path, log, func(name string, data []byte) (userDB, error) {
		us, err := ParseUsers(name, data)
		if err != nil {
			return nil, err
		}
		db := userDB{}
		for _, u := range us {
			db[u.Name] = u
		}
		return db, nil
	})
}
