package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/fix"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/result"
)

// reportFlags are the flags of `vigil report`.
type reportFlags struct {
	format, framework, output, db, color, mode string
	brief                                      bool
}

func newReportCmd(e *env) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report [SCAN]",
		Short: "Render a scan as table, json, sarif, csv, html or pdf, with compliance evidence for hipaa, gdpr, cis or pci",
		Long: `Render a scan result again, in any format, and add the compliance evidence an
auditor asks for.

SCAN is a vigil/scan/v1 JSON file (as written by 'vigil scan --format json'),
- for standard input, or a stored scan: its id, a prefix of it that names no
other scan, latest (the default) or latest~N for the scan N before the newest.

--framework lists each control of HIPAA, GDPR, the CIS Controls or PCI DSS that
vigil's checks give evidence for, with its status: met (the scan looked and
found nothing wrong), not met (an open finding maps to it) or no evidence (the
scan could not look), the findings and dates behind it, and what a scan cannot
prove. It works with the table, json, html and pdf formats.`,
		Example: `  vigil report                                   # the latest stored scan, as a table
  vigil report latest --framework hipaa --format pdf -o hipaa-evidence.pdf
  vigil report scan.json --format sarif -o vigil.sarif
  vigil report 20261123T19 --format html -o report.html`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := "latest"
			if len(args) == 1 {
				ref = args[0]
			}
			f.format = formatFor(cmd, f.format, f.output)
			return runReport(cmd.Context(), e, &f, ref)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(report.Formats(), ", "))
	fl.StringVar(&f.framework, "framework", "", "add compliance evidence for a framework: "+strings.Join(compliance.Frameworks(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of standard output")
	addModeFlag(fl, &f.mode)
	addBriefFlag(fl, &f.brief)
	addDBFlag(fl, &f.db)
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never")
	return cmd
}

func runReport(ctx context.Context, e *env, f *reportFlags, ref string) error {
	format := strings.ToLower(strings.TrimSpace(f.format))
	if _, err := report.New(format, report.Options{}); err != nil {
		return usageError("--format: %v", err)
	}
	var fw compliance.Framework
	if f.framework != "" {
		var err error
		if fw, err = compliance.ParseFramework(f.framework); err != nil {
			return usageError("--framework: %v", err)
		}
		if !slices.Contains(report.ComplianceFormats(), format) {
			return usageError("--framework works with the %s formats; %s carries each finding's controls already", strings.Join(report.ComplianceFormats(), ", "), format)
		}
	}
	if format == "pdf" && (f.output == "" || f.output == "-") && isTerminal(e.stdout) {
		return usageError("a PDF cannot be shown on the terminal: add -o FILE.pdf")
	}

	doc, series, err := loadScan(ctx, e.stdin, ref, f.db)
	if err != nil {
		return err
	}
	var a *compliance.Assessment
	if fw != "" {
		if a, err = compliance.Assess(fw, doc, series); err != nil {
			return err
		}
	}

	mode, err := parseMode(f.mode)
	if err != nil {
		return err
	}
	out, err := openOutput(e.stdout, f.output, mode)
	if err != nil {
		return err
	}
	defer out.abort()
	color, err := colorWanted(f.color, out.Writer)
	if err != nil {
		return err
	}
	w, err := report.New(format, report.Options{Color: color, Offer: fix.Offer, Brief: f.brief, Compliance: a})
	if err != nil {
		return usageError("--format: %v", err)
	}
	if err := w.Write(out, doc); err != nil {
		return fmt.Errorf("cannot write the report: %w", err)
	}
	if err := out.commit(); err != nil {
		return err
	}
	if f.output != "" && f.output != "-" {
		fmt.Fprintf(e.stderr, "Level %d of 5. Report of scan %s written to %s.\n", doc.Level.Value, doc.ID, f.output)
	}
	return nil
}

// loadScan reads the scan named by ref: "-" for standard input, a file, or a
// stored scan. For a stored scan it also returns the series of stored scans
// of the same environment (label), the evidence of regular testing.
func loadScan(ctx context.Context, stdin io.Reader, ref, dsn string) (*result.Document, []compliance.Run, error) {
	src := &scanSource{dsn: dsn, stdin: stdin}
	defer src.close()
	doc, err := src.load(ctx, ref)
	if err != nil || src.st == nil {
		return doc, nil, err
	}
	list, err := src.st.List(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	var series []compliance.Run
	for _, s := range list {
		if s.Label == doc.Label {
			series = append(series, compliance.Run{ID: s.ID, Started: s.Started, Finished: s.Finished})
		}
	}
	return doc, series, nil
}
