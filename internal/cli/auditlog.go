package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/store"
)

// auditLogFlags are the flags of `vigil audit-log`.
type auditLogFlags struct {
	format, output, mode, db string
	limit                    int
	verify                   bool
}

// auditLogSchema tags an exported audit log.
const auditLogSchema = "vigil/audit-log/v1"

func newAuditLogCmd(e *env) *cobra.Command {
	var f auditLogFlags
	cmd := &cobra.Command{
		Use:   "audit-log",
		Short: "Show or export the audit log: logins, scans, acceptances, fixes, user and token changes",
		Long: `Show the audit log, newest first: who did what, when, from where (a
client address, or cli), to what. vigil serve records logins, scans,
acceptances and changes of users, tokens, schedules and alert targets;
the command line records vigil accept, vigil fix, vigil user and vigil
token.

The log is append-only: vigil has no way to change or delete an entry.
Each entry carries the SHA-256 of the one before it and of itself, so an
entry altered or removed behind vigil's back breaks the chain: --verify
checks it. An export (--format json or csv) carries the hashes, so the
chain can be checked from the file too.`,
		Example: `  vigil audit-log
  vigil audit-log --limit 50
  vigil audit-log --format csv -o audit-2026.csv
  vigil audit-log --verify`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditLog(cmd.Context(), e, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: table, json or csv")
	fl.IntVar(&f.limit, "limit", 0, "show at most this many entries, newest first (0: all)")
	fl.BoolVar(&f.verify, "verify", false, "check that no entry was altered or removed, and say how many entries hold")
	fl.StringVarP(&f.output, "output", "o", "", "write to FILE instead of standard output")
	addModeFlag(fl, &f.mode)
	addDBFlag(fl, &f.db)
	return cmd
}

// auditLogFile is what --format json writes.
type auditLogFile struct {
	Schema   string             `json:"schema"`
	Exported time.Time          `json:"exported"`
	Entries  []store.AuditEntry `json:"entries"`
}

func runAuditLog(ctx context.Context, e *env, f *auditLogFlags) error {
	format := strings.ToLower(strings.TrimSpace(f.format))
	if format != "table" && format != "json" && format != "csv" {
		return usageError("--format %q: use table, json or csv", f.format)
	}
	if f.limit < 0 {
		return usageError("--limit %d: give a number of entries, or 0 for all", f.limit)
	}
	mode, err := parseMode(f.mode)
	if err != nil {
		return err
	}
	st, err := openStoreRead(ctx, f.db)
	if errors.Is(err, store.ErrNoStore) {
		st, err = nil, nil // no store: an empty log
	}
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	if f.verify {
		var n int64
		if st != nil {
			if n, err = st.VerifyAudit(ctx); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "The audit log holds %d entries; none was altered or removed (the newest are checked against nothing after them: compare the count with an earlier one).\n", n)
		return nil
	}
	var list []store.AuditEntry
	if st != nil {
		if list, err = st.AuditLog(ctx, f.limit); err != nil {
			return err
		}
	}
	if format == "table" && len(list) == 0 && (f.output == "" || f.output == "-") {
		fmt.Fprintln(e.stderr, "The audit log is empty.")
		return nil
	}
	out, err := openOutput(e.stdout, f.output, mode)
	if err != nil {
		return err
	}
	defer out.abort()
	switch format {
	case "json":
		if list == nil {
			list = []store.AuditEntry{}
		}
		err = writeIndentedJSON(out, auditLogFile{Schema: auditLogSchema, Exported: time.Now().UTC(), Entries: list})
	case "csv":
		err = writeAuditCSV(out, list)
	default:
		err = writeAuditTable(out, list)
	}
	if err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	if f.output != "" && f.output != "-" {
		fmt.Fprintf(e.stderr, "%d audit log entries written to %s.\n", len(list), f.output)
	}
	return nil
}

func writeAuditTable(w io.Writer, list []store.AuditEntry) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tSOURCE\tACTION\tOBJECT\tDETAIL")
	for _, a := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Seq, a.Time.Local().Format(time.DateTime),
			sanitize.Terminal(a.Actor), sanitize.Terminal(a.Source), sanitize.Terminal(a.Action),
			sanitize.Terminal(report.Clip(a.Object, 40)), sanitize.Terminal(report.Clip(a.Detail, 60)))
	}
	return tw.Flush()
}

func writeAuditCSV(w io.Writer, list []store.AuditEntry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"seq", "time", "actor", "source", "action", "object", "detail", "hash"}); err != nil {
		return err
	}
	for _, a := range list {
		row := []string{strconv.FormatInt(a.Seq, 10), a.Time.UTC().Format(time.RFC3339Nano),
			spreadsheetSafe(a.Actor), spreadsheetSafe(a.Source), a.Action, spreadsheetSafe(a.Object), spreadsheetSafe(a.Detail), a.Hash}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// spreadsheetSafe keeps a CSV cell from being read as a formula by a
// spreadsheet: a cell starting with = + - @ or a tab or carriage return
// gets an apostrophe in front. (The hash chain is over the text without
// it: the JSON export is the one to verify.)
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
