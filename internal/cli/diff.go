package cli

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/diff"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/result"
)

// diffFlags are the flags of `vigil diff` and `vigil compare`.
type diffFlags struct {
	format, db, color string
}

const scanArgHelp = `A and B are stored scans (an id, a prefix of one that names no other scan,
latest, or latest~N for the scan N before the newest; 'vigil scans' lists
them) or vigil/scan/v1 JSON files, as written by 'vigil scan --format json';
- reads one of them from standard input.`

func newDiffCmd(e *env) *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff [A [B]]",
		Short: "Show what changed between two scans: fixed and new findings, levels, opened and closed ports",
		Long: `Show what changed from scan A to scan B: the findings fixed and the new ones,
those no longer observed and why, how many stayed open, each host's level
and the overall level before and after, and the services that were opened,
closed or replaced. Without arguments it compares the newest stored scan
with the newest one before it of the same targets (scans of other targets in
between are passed over); with one, that scan and the newest.

Findings are matched by their stable id (check, host, port and subject). A
finding of A that B does not report is fixed only when B examined the same
host and found the same port open with the same service (same protocol and,
where both name one, product). Otherwise it is no longer observed, because:
  service changed   the port answers as another service, or one vigil could
                    not identify
  port closed       B examined the port and it was not open
  not rechecked     B did not examine it: the host did not answer or was not
                    scanned, or the port, UDP probe or check was outside B
When B examined less than A (fewer hosts reached, fewer ports or UDP probes,
--ports-only, --no-default-creds), the diff says so, and a higher level that
rests on what B did not recheck is not called an improvement.

` + scanArgHelp,
		Example: `  vigil diff                              # the newest scan against the one before of the same targets
  vigil diff latest~7                     # a week of daily scans
  vigil diff before.json after.json --format json`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				args = append(args, "latest")
			}
			return runDiff(cmd.Context(), e, &f, args)
		},
	}
	diffFlagSet(cmd, &f)
	return cmd
}

func newCompareCmd(e *env) *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Set two environments side by side: level against level, and the checks that make the difference",
		Long: `Compare two environments, each by one of its scans: their levels, their
findings by severity, and the checks found in one and not the other, which
are what makes the difference. Each environment is called by its scan's
--label, or else by its targets; two scans of the same targets (or of the
same name) are called by their ids and dates.

` + scanArgHelp,
		Example: `  vigil scan 192.168.1.0/24 --label "office network"
  vigil scan 10.20.0.0/24 --label "hosted servers"
  vigil compare latest~1 latest`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(cmd.Context(), e, &f, args)
		},
	}
	diffFlagSet(cmd, &f)
	return cmd
}

func diffFlagSet(cmd *cobra.Command, f *diffFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
	addDBFlag(fl, &f.db)
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never")
}

// loadPair checks the flags and reads the two scans refs name; with no
// refs, the two newest stored scans of the same targets.
func loadPair(ctx context.Context, e *env, f *diffFlags, refs []string) (*result.Document, *result.Document, bool, error) {
	format := strings.ToLower(strings.TrimSpace(f.format))
	if format != "table" && format != "json" {
		return nil, nil, false, usageError("--format %q: use table or json", f.format)
	}
	f.format = format
	color, err := colorWanted(f.color, e.stdout)
	if err != nil {
		return nil, nil, false, err
	}
	src := &scanSource{dsn: f.db, stdin: e.stdin}
	defer src.close()
	if len(refs) == 0 {
		da, db, err := src.latestPair(ctx)
		return da, db, color, err
	}
	da, err := src.load(ctx, refs[0])
	if err != nil {
		return nil, nil, false, err
	}
	db, err := src.load(ctx, refs[1])
	if err != nil {
		return nil, nil, false, err
	}
	return da, db, color, nil
}

func runDiff(ctx context.Context, e *env, f *diffFlags, refs []string) error {
	da, db, color, err := loadPair(ctx, e, f, refs)
	if err != nil {
		return err
	}
	d := diff.Scans(da, db)
	if f.format == "json" {
		return writeIndentedJSON(e.stdout, d)
	}
	return report.WriteDiff(e.stdout, d, color)
}

func runCompare(ctx context.Context, e *env, f *diffFlags, refs []string) error {
	da, db, color, err := loadPair(ctx, e, f, refs)
	if err != nil {
		return err
	}
	c := diff.Environments(da, db)
	if f.format == "json" {
		return writeIndentedJSON(e.stdout, c)
	}
	return report.WriteComparison(e.stdout, c, color)
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
