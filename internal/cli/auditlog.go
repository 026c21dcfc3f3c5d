package cli

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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
	format, output, mode, db, against string
	limit                             int
	verify                            bool
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
checks it. The chain has no secret key, so whoever can write the
database could remove the newest entries, or rewrite every hash after an
entry they changed: keep exports (--format json carries the hashes) out of
their reach, and --verify --against FILE also checks that every entry of
an earlier export is still in the log, unchanged.`,
		Example: `  vigil audit-log
  vigil audit-log --limit 50
  vigil audit-log --format csv -o audit-2026.csv
  vigil audit-log --verify
  vigil audit-log --verify --against audit-2026-11.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditLog(cmd.Context(), e, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: table, json or csv")
	fl.IntVar(&f.limit, "limit", 0, "show at most this many entries, newest first (0: all)")
	fl.BoolVar(&f.verify, "verify", false, "check that no entry was altered or removed, and say how many entries hold")
	fl.StringVar(&f.against, "against", "", "with --verify: also check that the entries of this earlier JSON export are all still in the log, unchanged")
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
	if f.against != "" && !f.verify {
		return usageError("--against goes with --verify")
	}
	if f.verify {
		var export *auditLogFile
		if f.against != "" {
			if export, err = readAuditExport(f.against); err != nil {
				return err
			}
		}
		var n int64
		if st != nil {
			if n, err = st.VerifyAudit(ctx); err != nil {
				return err
			}
		}
		if export == nil {
			fmt.Fprintf(e.stdout, "The audit log holds %d entries; none was altered or removed (the newest are checked against nothing after them: compare the count with an earlier one, or use --against EXPORT).\n", n)
			return nil
		}
		var list []store.AuditEntry
		if st != nil {
			if list, err = st.AuditLog(ctx, 0); err != nil {
				return err
			}
		}
		if err := auditHolds(list, export.Entries, f.against); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "The audit log holds %d entries; none was altered or removed, and all %d entries of %s are still in it, unchanged.\n", n, len(export.Entries), f.against)
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

// readAuditExport reads an export of --format json and checks its own
// chain: entries numbered without gaps, each chained to the one before
// (the oldest to its predecessor only when that is entry 1's empty start).
func readAuditExport(path string) (*auditLogFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, usageError("--against: %v", err)
	}
	defer fh.Close()
	var file auditLogFile
	if err := json.NewDecoder(io.LimitReader(fh, 1<<30)).Decode(&file); err != nil || file.Schema != auditLogSchema {
		return nil, usageError("--against %s is not an export of vigil audit-log --format json", path)
	}
	list := slices.Clone(file.Entries)
	slices.SortFunc(list, func(a, b store.AuditEntry) int { return cmp.Compare(a.Seq, b.Seq) })
	for i, en := range list {
		switch {
		case i > 0 && en.Seq != list[i-1].Seq+1:
			return nil, fmt.Errorf("%w: the export %s skips from entry %d to %d", store.ErrAuditBroken, path, list[i-1].Seq, en.Seq)
		case i > 0 && store.AuditHash(list[i-1].Hash, en) != en.Hash, i == 0 && en.Seq == 1 && store.AuditHash("", en) != en.Hash:
			return nil, fmt.Errorf("%w: entry %d of the export %s was altered", store.ErrAuditBroken, en.Seq, path)
		}
	}
	return &file, nil
}

// auditHolds checks that every entry of an earlier export is in the log
// with the same hash (the hash covers the whole chain before it).
func auditHolds(log, exported []store.AuditEntry, path string) error {
	bySeq := make(map[int64]string, len(log))
	for _, en := range log {
		bySeq[en.Seq] = en.Hash
	}
	for _, en := range exported {
		h, ok := bySeq[en.Seq]
		switch {
		case !ok:
			return fmt.Errorf("%w: entry %d of %s (%s %s by %s) is no longer in the log: it was removed", store.ErrAuditBroken, en.Seq, path,
				sanitize.Terminal(en.Action), sanitize.Terminal(report.Clip(en.Object, 60)), sanitize.Terminal(en.Actor))
		case h != en.Hash:
			return fmt.Errorf("%w: entry %d differs from the one in %s: the log was rewritten from there on", store.ErrAuditBroken, en.Seq, path)
		}
	}
	return nil
}
