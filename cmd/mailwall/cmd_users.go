package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"mailwall/internal/policy"
)

// users manages the SMTP AUTH users file (format in internal/policy
// users.go: name:hash[:flags]).
func newUsersCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "users add|passwd|del|list|audit --file FILE",
		Short: "Manage SMTP AUTH accounts and audit them for weak passwords",
		Long: `users edits the users file named by --file (policy.auth.users_file).
add and passwd read the password from the terminal, or from stdin when it is
not a terminal, and refuse weak ones: shorter than 10 characters, equal to
the user name or domain, or on the bundled common-password list. audit tries
those candidates against every stored hash and flags default accounts
(postmaster, webmaster, admin, test) that can log in; it exits 1 if it finds
anything.`,
	}
	cmd.PersistentFlags().StringVar(&file, "file", "", "users file (required)")
	cmd.MarkPersistentFlagRequired("file")
	var force bool
	add := &cobra.Command{
		Use: "add USER", Short: "Add an account", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return setPassword(c, file, args[0], true, force)
		},
	}
	add.Flags().BoolVar(&force, "allow-default-name", false, "allow a default account name (postmaster, admin...)")
	passwd := &cobra.Command{
		Use: "passwd USER", Short: "Change an account's password", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return setPassword(c, file, args[0], false, true)
		},
	}
	del := &cobra.Command{
		Use: "del USER", Short: "Delete an account", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			users, err := policy.LoadUsers(file)
			if err != nil {
				return err
			}
			name := strings.ToLower(args[0])
			for i, u := range users {
				if u.Name == name {
					return policy.SaveUsers(file, append(users[:i], users[i+1:]...))
				}
			}
			return fmt.Errorf("users: no account %q", name)
		},
	}
	list := &cobra.Command{
		Use: "list", Short: "List accounts", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			users, err := policy.LoadUsers(file)
			if err != nil {
				return err
			}
			for _, u := range users {
				state := "enabled"
				if u.Disabled() {
					state = "disabled"
				}
				fmt.Fprintf(c.OutOrStdout(), "%s\t%s\n", u.Name, state)
			}
			return nil
		},
	}
	var tries int
	audit := &cobra.Command{
		Use: "audit", Short: "Report weak passwords and default accounts; exit 1 if any", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runAudit(c.OutOrStdout(), file, tries)
		},
	}
	audit.Flags().IntVar(&tries, "tries", 0, "candidate passwords tried per account (0 = all)")
	cmd.AddCommand(add, passwd, del, list, audit)
	return cmd
}

func setPassword(c *cobra.Command, file, user string, create, allowDefault bool) error {
	name := strings.ToLower(user)
	if name == "" || strings.ContainsAny(name, ": \t\r\n") {
		return fmt.Errorf("users: bad user name %q", user)
	}
	users, err := policy.LoadUsers(file)
	if err != nil {
		return err
	}
	idx := -1
	for i, u := range users {
		if u.Name == name {
			idx = i
		}
	}
	switch {
	case create && idx >= 0:
		return fmt.Errorf("users: %q exists; use passwd", name)
	case !create && idx < 0:
		return fmt.Errorf("users: no account %q", name)
	case create && !allowDefault && policy.IsDefaultAccount(name):
		return fmt.Errorf("users: %q is a default account name attackers try first (--allow-default-name to insist)", name)
	}
	pw, err := readPassword(c.InOrStdin(), c.ErrOrStderr())
	if err != nil {
		return err
	}
	if why := policy.WeakPassword(name, pw); why != "" {
		return fmt.Errorf("users: refused: %s", why)
	}
	hash, err := policy.HashPassword(pw)
	if err != nil {
		return err
	}
	u := policy.User{Name: name, Hash: hash, Checked: true}
	if idx >= 0 {
		users[idx] = u
	} else {
		users = append(users, u)
	}
	return policy.SaveUsers(file, users)
}

// readPassword reads twice from a terminal, or one line from a pipe.
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("users: passwords differ")
		}
		return string(a), nil
	}
	l, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && l == "" {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(l, "\r\n"), nil
}

func runAudit(w io.Writer, file string, tries int) error {
	users, err := policy.LoadUsers(file)
	if err != nil {
		return err
	}
	found := 0
	for _, u := range users {
		for _, f := range policy.AuditUser(u, tries) {
			fmt.Fprintf(w, "%s: %s\n", f.User, f.Reason)
			found++
		}
	}
	fmt.Fprintf(w, "Audited %d accounts: %d findings.\n", len(users), found)
	if found > 0 {
		return &exitError{code: 1}
	}
	return nil
}
