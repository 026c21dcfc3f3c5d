package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/store"
)

// acceptFlags are the flags of `vigil accept`.
type acceptFlags struct {
	reason, until, by, revoke, export, importFile, db, format, mode string
	list, all                                                       bool
}

// maxAcceptance is the longest a risk may be accepted for: at least once a
// year someone has to look at it again.
const maxAcceptance = 366 * 24 * time.Hour

// acceptSchema tags an exported list of acceptances.
const acceptSchema = "vigil/acceptances/v1"

func newAcceptCmd(e *env) *cobra.Command {
	var f acceptFlags
	cmd := &cobra.Command{
		Use:   "accept FINDING --reason TEXT --until DATE",
		Short: "Accept a finding's risk until a date: it stops capping the level, and every report shows it as accepted",
		Long: `Accept the risk of a finding, for a reason, until a date (at most a year
ahead). Until then the finding no longer caps the security level; every
report still lists it, as accepted, with the reason, who accepted it and
until when. When the date passes it counts again, and vigil diff says the
acceptance expired. FINDING is a finding id, or the start of one, as vigil
report shows them.

Acceptances live in the scan store (--db); --export and --import move them
to another store as a file.`,
		Example: `  vigil accept 3f2a9c --reason "legacy lab analyser needs TLS 1.0; isolated VLAN" --until 2027-03-31
  vigil accept --list
  vigil accept --revoke 3f2a9c
  vigil accept --export acceptances.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			modes := 0
			for _, on := range []bool{f.list, f.revoke != "", f.export != "", f.importFile != ""} {
				if on {
					modes++
				}
			}
			switch {
			case modes > 1:
				return usageError("use one of --list, --revoke, --export and --import at a time")
			case modes == 1 && len(args) > 0:
				return usageError("--list, --revoke, --export and --import take no finding argument")
			case modes == 0 && len(args) != 1:
				return usageError("give one finding id (vigil report shows them), with --reason and --until")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			switch {
			case f.list:
				return runAcceptList(ctx, e, &f)
			case f.revoke != "":
				return runAcceptRevoke(ctx, e, &f)
			case f.export != "":
				return runAcceptExport(ctx, e, &f)
			case f.importFile != "":
				return runAcceptImport(ctx, e, &f)
			}
			return runAccept(ctx, e, &f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.reason, "reason", "", "why the risk is accepted (shown in every report)")
	fl.StringVar(&f.until, "until", "", "last day the acceptance holds, YYYY-MM-DD (at most a year ahead)")
	fl.StringVar(&f.by, "by", "", "who accepts it (default: your user name)")
	fl.BoolVar(&f.list, "list", false, "list the acceptances")
	fl.BoolVar(&f.all, "all", false, "with --list: also the revoked ones")
	fl.StringVar(&f.revoke, "revoke", "", "revoke the acceptance of this finding")
	fl.StringVar(&f.export, "export", "", "write the acceptances to FILE (JSON)")
	fl.StringVar(&f.importFile, "import", "", "read acceptances from FILE (as --export wrote it)")
	fl.StringVar(&f.format, "format", "table", "with --list: table or json")
	addModeFlag(fl, &f.mode)
	addDBFlag(fl, &f.db)
	return cmd
}

// osUser is the name of the user running vigil, for "who".
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

// checkAcceptance validates an acceptance's words and date at now.
func checkAcceptance(a finding.Acceptance, now time.Time) error {
	if strings.TrimSpace(a.Reason) == "" {
		return usageError("--reason: say why the risk is accepted; every report shows it")
	}
	if len([]rune(a.Reason)) > 1000 {
		return usageError("--reason: at most 1000 characters")
	}
	until, err := time.Parse(finding.DateLayout, a.Until)
	if err != nil {
		return usageError("--until %q: give the last day as YYYY-MM-DD", a.Until)
	}
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case until.Before(today):
		return usageError("--until %s is in the past", a.Until)
	case until.Sub(today) > maxAcceptance:
		return usageError("--until %s is more than a year ahead: accept a risk for at most a year, then look at it again", a.Until)
	}
	return nil
}

func runAccept(ctx context.Context, e *env, f *acceptFlags, ref string) error {
	now := time.Now()
	a := finding.Acceptance{By: strings.TrimSpace(f.by), Reason: strings.TrimSpace(f.reason), Until: strings.TrimSpace(f.until)}
	if a.By == "" {
		a.By = osUser()
	}
	if err := checkAcceptance(a, now); err != nil {
		return err
	}
	st, err := openStoreRead(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	_, fd, err := findStoredFinding(ctx, st, ref)
	if err != nil {
		return err
	}
	if err := st.Accept(ctx, store.Acceptance{Finding: fd.ID, Check: fd.Check, Host: fd.Host, Port: fd.Port, Transport: fd.Transport,
		Acceptance: a, Created: now}); err != nil {
		return err
	}
	auditCLI(ctx, e, st, "risk.accept", fd.ID, fmt.Sprintf("%s on %s port %d, by %s until %s: %s", fd.Check, fd.Host, fd.Port, a.By, a.Until, a.Reason))
	fmt.Fprintf(e.stdout, "Accepted finding %s (%s on %s port %d) until %s, by %s: %s\n",
		fd.ID, fd.Check, sanitize.Terminal(fd.Host), fd.Port, a.Until, sanitize.Terminal(a.By), sanitize.Terminal(a.Reason))
	fmt.Fprintln(e.stdout, "It no longer caps the level from the next scan on; every report shows it as accepted. Undo with: vigil accept --revoke "+fd.ID)
	return nil
}

func runAcceptList(ctx context.Context, e *env, f *acceptFlags) error {
	if f.format != "table" && f.format != "json" {
		return usageError("--format %q: use table or json", f.format)
	}
	st, err := openStoreRead(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Acceptances(ctx, f.all)
	if err != nil {
		return err
	}
	if f.format == "json" {
		return writeIndentedJSON(e.stdout, nonNilAcceptances(list))
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stderr, "No risk is accepted.")
		return nil
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FINDING\tCHECK\tWHERE\tUNTIL\tSTATE\tBY\tREASON")
	for _, a := range list {
		state := "in force"
		switch {
		case !a.Revoked.IsZero():
			state = "revoked " + a.Revoked.UTC().Format(finding.DateLayout)
		case !a.Acceptance.InForce(now):
			state = "expired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s:%d\t%s\t%s\t%s\t%s\n", a.Finding, a.Check, sanitize.Terminal(a.Host), a.Port, a.Until, state,
			sanitize.Terminal(a.By), sanitize.Terminal(report.Clip(a.Reason, 60)))
	}
	return tw.Flush()
}

func nonNilAcceptances(l []store.Acceptance) []store.Acceptance {
	if l == nil {
		return []store.Acceptance{}
	}
	return l
}

func runAcceptRevoke(ctx context.Context, e *env, f *acceptFlags) error {
	st, err := openStoreRead(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	ref := strings.ToLower(strings.TrimSpace(f.revoke))
	list, err := st.Acceptances(ctx, false)
	if err != nil {
		return err
	}
	var ids []string
	for _, a := range list {
		if strings.HasPrefix(a.Finding, ref) && ref != "" {
			ids = append(ids, a.Finding)
		}
	}
	switch len(ids) {
	case 0:
		return fmt.Errorf("no acceptance in force for a finding starting with %q (vigil accept --list shows them)", f.revoke)
	case 1:
	default:
		return usageError("%q starts several accepted findings (%s): give more of it", f.revoke, strings.Join(ids, ", "))
	}
	if err := st.Revoke(ctx, ids[0], time.Now()); err != nil {
		return err
	}
	auditCLI(ctx, e, st, "risk.revoke", ids[0], "")
	fmt.Fprintf(e.stdout, "Revoked the acceptance of finding %s: it counts again from the next scan on.\n", ids[0])
	return nil
}

// acceptanceFile is the file --export writes and --import reads.
type acceptanceFile struct {
	Schema      string             `json:"schema"`
	Exported    time.Time          `json:"exported"`
	Acceptances []store.Acceptance `json:"acceptances"`
}

func runAcceptExport(ctx context.Context, e *env, f *acceptFlags) error {
	mode, err := parseMode(f.mode)
	if err != nil {
		return err
	}
	st, err := openStoreRead(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Acceptances(ctx, false)
	if err != nil {
		return err
	}
	out, err := openOutput(e.stdout, f.export, mode)
	if err != nil {
		return err
	}
	defer out.abort()
	if err := writeIndentedJSON(out, acceptanceFile{Schema: acceptSchema, Exported: time.Now().UTC(), Acceptances: nonNilAcceptances(list)}); err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	if f.export != "-" {
		fmt.Fprintf(e.stderr, "%d acceptance(s) written to %s.\n", len(list), f.export)
	}
	return nil
}

func runAcceptImport(ctx context.Context, e *env, f *acceptFlags) error {
	var in io.Reader = e.stdin
	if f.importFile != "-" {
		fh, err := os.Open(f.importFile)
		if err != nil {
			return fmt.Errorf("cannot read the acceptances: %w", err)
		}
		defer fh.Close()
		in = fh
	}
	var file acceptanceFile
	dec := json.NewDecoder(io.LimitReader(in, 16<<20))
	if err := dec.Decode(&file); err != nil || file.Schema != acceptSchema {
		return usageError("%s is not a file of vigil acceptances (vigil accept --export writes one)", f.importFile)
	}
	now := time.Now()
	for _, a := range file.Acceptances {
		if a.Finding == "" || !a.Revoked.IsZero() {
			return usageError("%s: an acceptance without a finding, or a revoked one", f.importFile)
		}
		if _, err := time.Parse(finding.DateLayout, a.Until); err != nil || strings.TrimSpace(a.Reason) == "" || strings.TrimSpace(a.By) == "" {
			return usageError("%s: the acceptance of %s lacks a reason, a name or a valid date", f.importFile, a.Finding)
		}
	}
	st, err := openStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	n := 0
	for _, a := range file.Acceptances {
		if !a.Acceptance.InForce(now) {
			continue // expired on the way: nothing to accept any more
		}
		if a.Created.IsZero() {
			a.Created = now
		}
		if err := st.Accept(ctx, a); err != nil {
			return err
		}
		auditCLI(ctx, e, st, "risk.accept", a.Finding, fmt.Sprintf("imported from %s: %s on %s port %d, by %s until %s: %s", f.importFile, a.Check, a.Host, a.Port, a.By, a.Until, a.Reason))
		n++
	}
	fmt.Fprintf(e.stdout, "Imported %d acceptance(s) (%d expired ones skipped) into %s.\n", n, len(file.Acceptances)-n, st.Where())
	return nil
}
