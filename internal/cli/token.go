package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/store"
)

// tokenFlags are the flags of `vigil token` and its commands.
type tokenFlags struct {
	name, role, db, format string
}

func newTokenCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage API tokens of vigil serve: create, list, revoke",
		Long: `Manage the tokens that scripts use with vigil serve's API
(Authorization: Bearer TOKEN). A token has a role like a user: viewer,
operator or admin.

vigil token create prints the new token once, alone on standard output;
only its SHA-256 is stored, so it cannot be shown again. Keep it where the
script that uses it can read it and nobody else can. Every creation and
revocation is written to the audit log (vigil audit-log).`,
		Example: `  vigil token create --name nightly-export --role viewer > /etc/vigil/export.token
  vigil token list
  vigil token revoke 3f2a9c1b7d04`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newTokenCreateCmd(e), newTokenListCmd(e), newTokenRevokeCmd(e))
	return cmd
}

func newTokenCreateCmd(e *env) *cobra.Command {
	var f tokenFlags
	cmd := &cobra.Command{
		Use:   "create --name NAME --role viewer|operator|admin",
		Short: "Create a token and print it, once, alone on standard output",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runTokenCreate(cmd.Context(), e, &f) },
	}
	cmd.Flags().StringVar(&f.name, "name", "", "what or who uses the token (shown in lists and the audit log)")
	cmd.Flags().StringVar(&f.role, "role", "", "what the token may do: viewer, operator or admin")
	addDBFlag(cmd.Flags(), &f.db)
	return cmd
}

func newTokenListCmd(e *env) *cobra.Command {
	var f tokenFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tokens (never the tokens themselves): id, name, role, created, last used, revoked",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runTokenList(cmd.Context(), e, &f) },
	}
	cmd.Flags().StringVar(&f.format, "format", "table", "output format: table or json")
	addDBFlag(cmd.Flags(), &f.db)
	return cmd
}

func newTokenRevokeCmd(e *env) *cobra.Command {
	var f tokenFlags
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token: it stops working at once",
		Args:  exactArgs(1, "give the id of the token to revoke (vigil token list shows them)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTokenRevoke(cmd.Context(), e, &f, args[0])
		},
	}
	addDBFlag(cmd.Flags(), &f.db)
	return cmd
}

func runTokenCreate(ctx context.Context, e *env, f *tokenFlags) error {
	name := strings.TrimSpace(f.name)
	switch {
	case name == "":
		return usageError("--name: say what or who will use the token")
	case len([]rune(name)) > 100 || sanitize.Terminal(name) != name:
		return usageError("--name: at most 100 printable characters")
	case f.role == "":
		return usageError("--role: say what the token may do: viewer, operator or admin")
	}
	role, err := auth.ParseRole(f.role)
	if err != nil {
		return usageError("--role: %v", err)
	}
	id, err := auth.NewID()
	if err != nil {
		return err
	}
	token, hash, err := auth.NewToken()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.AddToken(ctx, store.Token{ID: id, Name: name, Role: string(role), Hash: hash, Created: time.Now()}); err != nil {
		return err
	}
	auditCLI(ctx, e, st, "token.create", id, fmt.Sprintf("name %q, role %s", name, role))
	// The token alone on standard output, so that it can be redirected
	// to a file; every word for people goes to standard error.
	if _, err := fmt.Fprintln(e.stdout, token); err != nil {
		return fmt.Errorf("token %s was created but could not be written out: revoke it (vigil token revoke %s): %w", id, id, err)
	}
	fmt.Fprintf(e.stderr, "Created token %s (%s, %s). It is shown only this once: only its hash is kept. Revoke it with: vigil token revoke %s\n",
		id, sanitize.Terminal(name), role, id)
	return nil
}

func runTokenList(ctx context.Context, e *env, f *tokenFlags) error {
	if f.format != "table" && f.format != "json" {
		return usageError("--format %q: use table or json", f.format)
	}
	st, err := openStoreRead(ctx, f.db)
	if errors.Is(err, store.ErrNoStore) {
		st, err = nil, nil // no store: no token
	}
	if err != nil {
		return err
	}
	var list []store.Token
	if st != nil {
		defer st.Close()
		if list, err = st.Tokens(ctx); err != nil {
			return err
		}
	}
	if f.format == "json" {
		if list == nil {
			list = []store.Token{}
		}
		return writeIndentedJSON(e.stdout, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stderr, "No token yet: create one with vigil token create --name NAME --role viewer.")
		return nil
	}
	when := func(t time.Time, none string) string {
		if t.IsZero() {
			return none
		}
		return t.Local().Format(time.DateTime)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST USED\tSTATE")
	for _, t := range list {
		state := "in force"
		if !t.Revoked.IsZero() {
			state = "revoked " + when(t.Revoked, "")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", sanitize.Terminal(t.ID), sanitize.Terminal(t.Name), sanitize.Terminal(t.Role),
			when(t.Created, "-"), when(t.LastUsed, "never"), state)
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, e *env, f *tokenFlags, id string) error {
	id = strings.TrimSpace(id)
	st, err := openAccessStore(ctx, f.db, "no token "+sanitize.Terminal(id))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeToken(ctx, id, time.Now()); err != nil {
		return err
	}
	auditCLI(ctx, e, st, "token.revoke", id, "")
	fmt.Fprintf(e.stderr, "Revoked token %s: it no longer works.\n", sanitize.Terminal(id))
	return nil
}
