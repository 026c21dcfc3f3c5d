package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/store"
)

// userFlags are the flags of `vigil user` and its commands.
type userFlags struct {
	role, db, format string
}

func newUserCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage who may log in to vigil serve: add, list, remove, change a role or a password",
		Long: `Manage the accounts of vigil serve's web interface. A viewer reads; an
operator also launches scans and accepts risks; an admin also manages
users, tokens, schedules and alert targets.

Passwords are read from standard input, never from the command line (a
command line is visible to every user of the machine and kept in shell
history): at a terminal vigil asks twice without echo; otherwise it reads
one line. A password has at least 12 characters. Only an argon2id hash is
stored. Every change is written to the audit log (vigil audit-log).`,
		Example: `  vigil user add alice --role admin
  printf '%s\n' "$PASSWORD" | vigil user add backup --role viewer
  vigil user list
  vigil user role alice operator
  vigil user passwd alice
  vigil user remove alice`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newUserAddCmd(e), newUserListCmd(e), newUserRemoveCmd(e), newUserRoleCmd(e), newUserPasswdCmd(e))
	return cmd
}

func newUserAddCmd(e *env) *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:   "add NAME --role viewer|operator|admin",
		Short: "Add a user; the password comes from standard input",
		Args:  exactArgs(1, "give the new user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUserAdd(cmd.Context(), e, &f, args[0])
		},
	}
	cmd.Flags().StringVar(&f.role, "role", "", "what the user may do: viewer, operator or admin")
	addDBFlag(cmd.Flags(), &f.db)
	return cmd
}

func newUserListCmd(e *env) *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the users and their roles",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runUserList(cmd.Context(), e, &f) },
	}
	cmd.Flags().StringVar(&f.format, "format", "table", "output format: table or json")
	addDBFlag(cmd.Flags(), &f.db)
	return cmd
}

func newUserRemoveCmd(e *env) *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a user and end their sessions",
		Args:  exactArgs(1, "give the name of the user to remove"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUserChange(cmd.Context(), e, f.db, args[0], "user.remove", "", func(ctx context.Context, st *store.Store, name string) error {
				return st.RemoveUser(ctx, name)
			})
		},
	}
	addDBFlag(cmd.Flags(), &f.db)
	return cmd
}

func newUserRoleCmd(e *env) *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:   "role NAME viewer|operator|admin",
		Short: "Change a user's role",
		Args:  exactArgs(2, "give the user's name and the new role (viewer, operator or admin)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			role, err := auth.ParseRole(args[1])
			if err != nil {
				return usageError("%v", err)
			}
			return runUserChange(cmd.Context(), e, f.db, args[0], "user.role", "role "+string(role), func(ctx context.Context, st *store.Store, name string) error {
				return st.SetRole(ctx, name, string(role))
			})
		},
	}
	addDBFlag(cmd.Flags(), &f.db)
	return cmd
}

func newUserPasswdCmd(e *env) *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password (from standard input) and end their sessions",
		Args:  exactArgs(1, "give the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := store.NormalUserName(args[0])
			if err := store.CheckUserName(name); err != nil {
				return usageError("%v", err)
			}
			// Refuse an unknown user before asking for a password.
			st, err := openAccessStore(ctx, f.db, "no user "+name)
			if err != nil {
				return err
			}
			_, err = st.User(ctx, name)
			st.Close()
			if err != nil {
				return err
			}
			hash, err := newPasswordHash(e, name)
			if err != nil {
				return err
			}
			return runUserChange(ctx, e, f.db, name, "user.password", "", func(ctx context.Context, st *store.Store, name string) error {
				return st.SetPassword(ctx, name, hash)
			})
		},
	}
	addDBFlag(cmd.Flags(), &f.db)
	return cmd
}

// openAccessStore opens an existing store to change a user or a token in
// it: a store that does not exist yet holds none, which is an error here
// (missing says what is missing), not the "no scans stored yet" of the
// read-only commands.
func openAccessStore(ctx context.Context, dsn, missing string) (*store.Store, error) {
	st, err := openStoreRead(ctx, dsn)
	if errors.Is(err, store.ErrNoStore) {
		return nil, fmt.Errorf("%s: %v", missing, err.Error())
	}
	return st, err
}

// exactArgs is cobra.ExactArgs with vigil's words and exit status.
func exactArgs(n int, say string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError("%s", say)
		}
		return nil
	}
}

func runUserAdd(ctx context.Context, e *env, f *userFlags, name string) error {
	name = store.NormalUserName(name)
	if err := store.CheckUserName(name); err != nil {
		return usageError("%v", err)
	}
	if f.role == "" {
		return usageError("--role: say what %s may do: viewer, operator or admin", name)
	}
	role, err := auth.ParseRole(f.role)
	if err != nil {
		return usageError("--role: %v", err)
	}
	hash, err := newPasswordHash(e, name)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.AddUser(ctx, store.User{Name: name, Role: string(role), Hash: hash, Created: time.Now()}); err != nil {
		if errors.Is(err, store.ErrExists) {
			return usageError("%v (vigil user passwd %s sets a new password)", err, name)
		}
		return err
	}
	auditCLI(ctx, e, st, "user.add", name, "role "+string(role))
	fmt.Fprintf(e.stderr, "Added user %s (%s) to %s.\n", name, role, st.Where())
	return nil
}

func runUserList(ctx context.Context, e *env, f *userFlags) error {
	if f.format != "table" && f.format != "json" {
		return usageError("--format %q: use table or json", f.format)
	}
	st, err := openStoreRead(ctx, f.db)
	if errors.Is(err, store.ErrNoStore) {
		st, err = nil, nil // no store: no user
	}
	if err != nil {
		return err
	}
	var users []store.User
	if st != nil {
		defer st.Close()
		if users, err = st.Users(ctx); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if f.format == "json" {
		if users == nil {
			users = []store.User{}
		}
		return writeIndentedJSON(e.stdout, users)
	}
	if len(users) == 0 {
		fmt.Fprintln(e.stderr, "No user yet: add one with vigil user add NAME --role admin.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", sanitize.Terminal(u.Name), sanitize.Terminal(u.Role), u.Created.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

// runUserChange applies change to an existing user in the store named by
// dsn, records it in the audit log, and warns when no admin is left.
func runUserChange(ctx context.Context, e *env, dsn, name, action, detail string, change func(context.Context, *store.Store, string) error) error {
	name = store.NormalUserName(name)
	if err := store.CheckUserName(name); err != nil {
		return usageError("%v", err)
	}
	st, err := openAccessStore(ctx, dsn, "no user "+name)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := change(ctx, st, name); err != nil {
		return err
	}
	auditCLI(ctx, e, st, action, name, detail)
	switch action {
	case "user.remove":
		fmt.Fprintf(e.stderr, "Removed user %s; their sessions ended.\n", name)
	case "user.role":
		fmt.Fprintf(e.stderr, "User %s now has the %s.\n", name, detail)
	case "user.password":
		fmt.Fprintf(e.stderr, "Set a new password for %s; their sessions ended.\n", name)
	}
	if action == "user.remove" || action == "user.role" {
		if users, err := st.Users(ctx); err == nil && len(users) > 0 && !anyAdmin(users) {
			fmt.Fprintln(e.stderr, "No admin is left: nobody can manage users in vigil serve until one is made (vigil user role NAME admin).")
		}
	}
	return nil
}

func anyAdmin(users []store.User) bool {
	for _, u := range users {
		if u.Role == string(auth.Admin) {
			return true
		}
	}
	return false
}

// newPasswordHash reads a new password for user and hashes it. At a
// terminal it asks twice without echo; otherwise it reads one line of
// standard input.
func newPasswordHash(e *env, user string) (string, error) {
	pw, err := readNewPassword(e, user)
	if err != nil {
		return "", err
	}
	if err := auth.CheckPasswordPolicy(pw); err != nil {
		return "", usageError("%v: give a password of at least %d characters on standard input (one line)", err, auth.MinPasswordLength)
	}
	return auth.HashPassword(pw)
}

// readNewPassword reads the password: without echo, twice, from a
// terminal; else the first line of standard input.
func readNewPassword(e *env, user string) (string, error) {
	if fh, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(fh.Fd())) {
		fmt.Fprintf(e.stderr, "New password for %s: ", user)
		a, err := term.ReadPassword(int(fh.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("cannot read the password: %w", err)
		}
		fmt.Fprintf(e.stderr, "The same again: ")
		b, err := term.ReadPassword(int(fh.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("cannot read the password: %w", err)
		}
		if string(a) != string(b) {
			return "", usageError("the two passwords differ; nothing was changed")
		}
		return string(a), nil
	}
	return readPasswordLine(e.stdin)
}

// readPasswordLine reads the first line of r, without its line end. A
// line longer than a password may be is refused without reading on.
func readPasswordLine(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, auth.MaxPasswordLength+3))
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("cannot read the password from standard input: %w", err)
	}
	if !strings.HasSuffix(line, "\n") && len(line) > auth.MaxPasswordLength {
		return "", usageError("the password on standard input is longer than %d bytes", auth.MaxPasswordLength)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	return line, nil
}

// auditCLI appends an entry for something done at the command line: the
// actor is the OS user, the source "cli". The deed is done already, so a
// failure to record it is a loud warning, not an error.
func auditCLI(ctx context.Context, e *env, st *store.Store, action, object, detail string) {
	err := st.AppendAudit(ctx, store.AuditEntry{Time: time.Now(), Actor: osUser(), Source: "cli", Action: action, Object: object, Detail: detail})
	if err != nil {
		fmt.Fprintf(e.stderr, "vigil: warning: this was done but not written to the audit log: %v\n", err)
	}
}

// auditCLIAt opens the store named by dsn to append an entry (auditCLI),
// for commands that have closed theirs.
func auditCLIAt(ctx context.Context, e *env, dsn, action, object, detail string) {
	st, err := openStore(ctx, dsn)
	if err != nil {
		fmt.Fprintf(e.stderr, "vigil: warning: this was done but not written to the audit log: %v\n", err)
		return
	}
	defer st.Close()
	auditCLI(ctx, e, st, action, object, detail)
}
