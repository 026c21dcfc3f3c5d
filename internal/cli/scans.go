package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vigilsec/vigil/internal/report"
)

// scansFlags are the flags of `vigil scans`.
type scansFlags struct {
	limit             int
	format, db, color string
}

func newScansCmd(e *env) *cobra.Command {
	var f scansFlags
	cmd := &cobra.Command{
		Use:   "scans",
		Short: "List stored scans: id, date, targets, level, hosts and findings by severity",
		Long: `List the scans in the store, newest first: each scan's id, when it started,
what it scanned (its --label, or its targets), its level, how many hosts
answered and how many findings it has of each severity.

Use an id, a unique prefix of one, latest or latest~N with vigil report,
vigil diff and vigil compare.`,
		Example: `  vigil scans
  vigil scans --limit 0 --format json
  vigil scans --db postgres://vigil@db.example.lan/vigil`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScans(cmd.Context(), e, &f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.limit, "limit", 20, "list at most this many scans, newest first (0: all)")
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
	addDBFlag(fl, &f.db)
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never")
	return cmd
}

func runScans(ctx context.Context, e *env, f *scansFlags) error {
	format := strings.ToLower(strings.TrimSpace(f.format))
	if format != "table" && format != "json" {
		return usageError("--format %q: use table or json", f.format)
	}
	if f.limit < 0 {
		return usageError("--limit %d: give a number of scans, or 0 for all", f.limit)
	}
	color, err := colorWanted(f.color, e.stdout)
	if err != nil {
		return err
	}
	st, err := openStoreRead(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	ask := f.limit
	if ask > 0 {
		ask++ // one more, to know whether there are more
	}
	list, err := st.List(ctx, ask)
	if err != nil {
		return err
	}
	more := f.limit > 0 && len(list) > f.limit
	if more {
		list = list[:f.limit]
	}
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stderr, "No scan is stored in %s yet. Run 'vigil scan' to make one.\n", st.Where())
		return nil
	}
	if err := report.WriteScans(e.stdout, list, color); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(e.stderr, "The %d newest scans are shown; --limit 0 lists them all.\n", f.limit)
	}
	return nil
}
