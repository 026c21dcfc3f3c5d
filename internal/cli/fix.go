package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/fix"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/store"
)

// fixFlags are the flags of `vigil fix`.
type fixFlags struct {
	dryRun, yes, force, list bool
	rollback                 string
	db                       string
}

// fixSearchDepth is how many of the newest stored documents a finding ID is
// looked up in.
const fixSearchDepth = 50

func newFixCmd(e *env) *cobra.Command {
	var f fixFlags
	cmd := &cobra.Command{
		Use:   "fix FINDING",
		Short: "Show the fix for a finding, and apply it after confirmation, with backup, validation and rollback",
		Long: `Fix a finding of a stored scan or host audit on this machine. FINDING is a
finding id, or the start of one that names no other, as 'vigil report'
shows them.

vigil shows the plan (the configuration diff and the commands) and asks
before it changes anything. It backs up every file it changes, applies the
change, checks it (sshd -t, nginx -t, apache2 -t, testparm,
named-checkconf, …), reloads the service and checks
that it listens again; when anything fails it restores everything by
itself. 'vigil fix --rollback ID' undoes a fix later.

Automatic fixes exist for: closing a port (nftables), sshd algorithms and
logins (OpenSSH), Redis password and bind, vsftpd anonymous logins, nginx
TLS, Apache httpd's TRACE, status pages and directory listings, Samba's
SMBv1, signing and guest access, BIND's open recursion, zone transfers and
version; a finding on another product (Dropbear, Apache's TLS, Unbound, …)
gets the fix to do by hand. A fix changes only what serves the finding's
address and port (the nginx server block or Apache virtual host, the sshd
instance and its Match block, the Redis, vsftpd, smbd or named instance),
and never lowers a setting that is already stricter.`,
		Example: `  vigil fix 3f2a9c                 # show the plan, ask, apply
  vigil fix 3f2a9c --dry-run       # only show the plan
  vigil fix --list                 # fixes applied so far
  vigil fix --rollback 20260301T101500Z-4f1c2a`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case f.list || f.rollback != "":
				if len(args) > 0 {
					return usageError("--list and --rollback take no finding")
				}
			case len(args) != 1:
				return usageError("give one finding id (vigil report shows them), or --rollback ID, or --list")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case f.list:
				return runFixList(e)
			case f.rollback != "":
				return runRollback(cmd.Context(), e, &f)
			}
			return runFix(cmd.Context(), e, &f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "show the plan and change nothing")
	fl.BoolVarP(&f.yes, "yes", "y", false, "apply without asking (for scripts)")
	fl.StringVar(&f.rollback, "rollback", "", "undo the fix with this id (or the start of it)")
	fl.BoolVar(&f.force, "force", false, "with --rollback: restore files even if they were edited after the fix")
	fl.BoolVar(&f.list, "list", false, "list the fixes applied on this machine")
	addDBFlag(fl, &f.db)
	return cmd
}

// fixDir is where fixes keep their backups and records: fixes/ beside the
// default scan store, under the user's data directory.
func fixDir() (string, error) {
	p, err := store.DefaultPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(p), "fixes"), nil
}

func runFix(ctx context.Context, e *env, f *fixFlags, ref string) error {
	st, err := openStoreRead(ctx, f.db)
	if err != nil {
		return err
	}
	doc, fd, err := findStoredFinding(ctx, st, ref)
	st.Close()
	if err != nil {
		return err
	}
	if !fix.Fixable(fd.Check) {
		fmt.Fprintf(e.stdout, "Finding %s (%s on %s port %d) has no automatic fix. Do it by hand:\n  %s\n",
			fd.ID, fd.Check, fd.Host, fd.Port, sanitize.Terminal(fd.Recommendation))
		return nil
	}
	// The applier exists for another product than the one found there.
	svc := report.ServiceFor(doc, fd)
	if err := fix.Supports(fd, svc); err != nil {
		fmt.Fprintf(e.stdout, "Finding %s (%s on %s port %d): %s. Do it by hand:\n  %s\n",
			fd.ID, fd.Check, fd.Host, fd.Port, sanitize.Terminal(err.Error()), sanitize.Terminal(fd.Recommendation))
		return nil
	}
	local, err := hostaudit.Collect(ctx, hostaudit.Local(), hostaudit.Options{})
	if err != nil {
		return fmt.Errorf("cannot audit this machine to find the service: %w", err)
	}
	dir, err := fixDir()
	if err != nil {
		return err
	}
	now := time.Now()
	id := fix.NewID(now)
	plan, err := fix.MakePlan(fix.Input{
		Finding: fd, Service: svc, Host: local,
		ReadFile: func(path string, g fix.Guard) ([]byte, fs.FileMode, error) { return fix.ReadConfig(ctx, path, g) },
		Glob:     filepath.Glob,
		FixID:    id, Now: now, SSHConnection: os.Getenv("SSH_CONNECTION"),
	})
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, terminalLines(plan.Text()))
	if f.dryRun {
		fmt.Fprintln(e.stdout, "\nDry run: nothing was changed.")
		return nil
	}
	if !f.yes {
		ok, err := confirm(e, plan.Question)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(e.stdout, "Nothing was changed.")
			return nil
		}
	}
	fmt.Fprintln(e.stdout)
	a := &fix.Applier{Dir: dir, Sys: fix.Local{}, Log: e.stdout}
	rec, err := a.Apply(ctx, id, plan)
	if err != nil {
		if rec != nil {
			fmt.Fprintf(e.stdout, "Fix %s failed; its record and backups are in %s.\n", id, rec.Dir())
			auditCLIAt(ctx, e, f.db, "fix.apply", fd.ID, fmt.Sprintf("fix %s of %s on %s port %d failed: %v", id, fd.Check, fd.Host, fd.Port, err))
		}
		return err
	}
	auditCLIAt(ctx, e, f.db, "fix.apply", fd.ID, fmt.Sprintf("fix %s of %s on %s port %d applied", id, fd.Check, fd.Host, fd.Port))
	fmt.Fprintf(e.stdout, "\nApplied fix %s. Scan again to confirm (vigil scan, vigil host); undo it with: vigil fix --rollback %s\n", id, id)
	if plan.Secret != "" {
		fmt.Fprintf(e.stdout, "\nThe new password (shown only now): %s\n", plan.Secret)
	}
	return nil
}

// terminalLines makes multi-line text safe for a terminal line by line:
// newlines and tabs stay, any other control character escapes its line.
func terminalLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if sanitize.Terminal(strings.ReplaceAll(l, "\t", " ")) != strings.ReplaceAll(l, "\t", " ") {
			lines[i] = sanitize.Terminal(l)
		}
	}
	return strings.Join(lines, "\n")
}

// confirm asks a yes/no question on standard input; no answer is no.
func confirm(e *env, question string) (bool, error) {
	fmt.Fprintf(e.stdout, "\n%s [y/N] ", question)
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	if errors.Is(err, io.EOF) && line == "" {
		fmt.Fprintln(e.stdout)
	}
	return false, nil
}

// findStoredFinding finds a finding by its id, or a prefix naming one id,
// in the newest stored documents (scans and host audits); the newest
// document holding it wins.
func findStoredFinding(ctx context.Context, st *store.Store, ref string) (*result.Document, finding.Finding, error) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if ref == "" {
		return nil, finding.Finding{}, usageError("empty finding id")
	}
	sums, err := st.List(ctx, fixSearchDepth)
	if err != nil {
		return nil, finding.Finding{}, err
	}
	if len(sums) == 0 {
		return nil, finding.Finding{}, fmt.Errorf("no scan is stored in %s yet: run vigil scan or vigil host first", st.Where())
	}
	var (
		doc  *result.Document
		fd   finding.Finding
		seen []string
	)
	for _, s := range sums {
		d, err := st.Get(ctx, s.ID)
		if err != nil {
			return nil, finding.Finding{}, err
		}
		for _, x := range d.Findings {
			if !strings.HasPrefix(x.ID, ref) {
				continue
			}
			if slices.Contains(seen, x.ID) {
				continue // an older document with the same finding
			}
			seen = append(seen, x.ID)
			if doc == nil {
				doc, fd = d, x
			}
		}
	}
	switch len(seen) {
	case 0:
		return nil, finding.Finding{}, fmt.Errorf("no finding with an id starting with %q in the %d newest stored scans ('vigil report latest' lists them)", ref, len(sums))
	case 1:
		return doc, fd, nil
	}
	if len(seen) > 5 {
		seen = append(seen[:5], "…")
	}
	return nil, finding.Finding{}, usageError("%q starts several finding ids (%s): give more of it", ref, strings.Join(seen, ", "))
}

func runRollback(ctx context.Context, e *env, f *fixFlags) error {
	dir, err := fixDir()
	if err != nil {
		return err
	}
	rec, err := fix.Load(dir, f.rollback)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Fix %s (%s, %s): %s\n", rec.ID, rec.State, rec.Applied.Local().Format(time.DateTime), sanitize.Terminal(rec.Summary))
	for _, fb := range rec.Files {
		fmt.Fprintf(e.stdout, "  restore %s from %s\n", fb.Path, filepath.Join(rec.Dir(), fb.Backup))
	}
	for i := len(rec.Undo) - 1; i >= 0; i-- {
		fmt.Fprintf(e.stdout, "  undo: %s\n", rec.Undo[i].String())
	}
	if !f.yes {
		ok, err := confirm(e, "Roll back fix "+rec.ID+"?")
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(e.stdout, "Nothing was changed.")
			return nil
		}
	}
	a := &fix.Applier{Dir: dir, Sys: fix.Local{}, Log: e.stdout}
	if err := a.Rollback(ctx, rec, f.force); err != nil {
		return err
	}
	auditCLIAt(ctx, e, f.db, "fix.rollback", rec.ID, sanitize.Terminal(rec.Summary))
	fmt.Fprintf(e.stdout, "Rolled back fix %s.\n", rec.ID)
	return nil
}

func runFixList(e *env) error {
	dir, err := fixDir()
	if err != nil {
		return err
	}
	recs, err := fix.List(dir)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		fmt.Fprintln(e.stdout, "No fix has been applied on this machine.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIX\tSTATE\tCHECK\tWHERE\tWHAT")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%d\t%s\n", r.ID, r.State, r.Finding.Check, r.Finding.Host, r.Finding.Port, sanitize.Terminal(r.Summary))
	}
	return tw.Flush()
}
