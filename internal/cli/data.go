package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/datascan"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// dataFlags are the flags every `vigil data` command shares.
type dataFlags struct {
	mapPath     string
	allowPublic bool
	timeout     time.Duration
}

func (f *dataFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.mapPath, "map", "", "the data map (default: $XDG_CONFIG_HOME/vigil/data.yaml)")
	cmd.Flags().BoolVar(&f.allowPublic, "allow-public", false, "allow database hosts outside the private, loopback and link-local ranges")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 30*time.Second, "time allowed to connect to a database and for each query")
}

// load reads the map.
func (f *dataFlags) load() (*datamap.Map, string, error) {
	p := f.mapPath
	if p == "" {
		var err error
		if p, err = datamap.DefaultPath(); err != nil {
			return nil, "", err
		}
	}
	m, err := datamap.Load(p)
	if err != nil {
		return nil, p, err
	}
	return m, p, nil
}

func (f *dataFlags) options() datascan.Options {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return datascan.Options{Options: datamap.Options{AllowPublic: f.allowPublic, Timeout: f.timeout}, Host: host}
}

// dataCommands lists the subcommands of `vigil data`; data_erase.go adds
// erase, verify and key with one line here.
var dataCommands = []func(e *env) *cobra.Command{
	newDataInitCmd,
	newDataScanCmd,
	retentionWithApply(newDataRetentionCmd),          // data-erase: --apply
	newDataEraseCmd, newDataVerifyCmd, newDataKeyCmd, // data-erase
}

// newDataCmd is `vigil data`: personal data, where it lives, how long it
// stays, and erasure with a certificate (issue 15).
func newDataCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Personal data: where it lives, how long it stays, erasure you can prove",
		Long: `vigil data reads a data map (vigil data init writes a commented example) that names
the organisation's databases (PostgreSQL, MySQL/MariaDB, SQLite) and shares of
files, and finds the personal data in them by sampling values. It is read-only
unless a command says otherwise; evidence holds column names, counts and salted
hashes, never values.`,
		Args: cobra.NoArgs,
	}
	for _, c := range dataCommands {
		cmd.AddCommand(c(e))
	}
	return cmd
}

func newDataInitCmd(e *env) *cobra.Command {
	var path string
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented example data map",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				var err error
				if path, err = datamap.DefaultPath(); err != nil {
					return err
				}
			}
			if path == "-" {
				_, err := io.WriteString(e.stdout, datamap.Example)
				return err
			}
			if _, err := os.Lstat(path); err == nil && !force {
				return usageError("%s exists: give --force to replace it", path)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return fmt.Errorf("cannot create the map's directory: %w", err)
			}
			out, err := openOutput(e.stdout, path, defaultOutputMode)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(out, datamap.Example); err != nil {
				out.abort()
				return fmt.Errorf("cannot write the data map: %w", err)
			}
			if err := out.commit(); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "wrote an example data map to %s: edit its sources, then run vigil data scan\n", path)
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "output", "o", "", "where to write it (default: $XDG_CONFIG_HOME/vigil/data.yaml; - for standard output)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing map")
	return cmd
}

func newDataScanCmd(e *env) *cobra.Command {
	var f dataFlags
	var format, output, failOn, operator, organisation string
	var samples int
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Find personal data in the map's sources: categories, rows, readers, TLS, retention",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "table", "json", "html", "pdf":
			default:
				return usageError("--format %q: use table, json, html or pdf", format)
			}
			var fail finding.Severity
			if failOn != "" {
				var err error
				if fail, err = finding.ParseSeverity(failOn); err != nil {
					return usageError("--fail-on: %v", err)
				}
			}
			m, mapPath, err := f.load()
			if err != nil {
				return err
			}
			out, err := openOutput(e.stdout, output, defaultOutputMode)
			if err != nil {
				return err
			}
			defer out.abort()
			o := f.options()
			o.Samples = samples
			started := time.Now().UTC()
			o.Now = started
			ds := datascan.Scan(cmd.Context(), m, o)
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			fs := check.JudgeData(ds, o.Host)
			of := outputFlags{operator: operator, organisation: organisation}
			run := datascan.DocumentRun{Run: newRun(e, &of, map[string]any{"samples": o.Samples, "allow_public": f.allowPublic}),
				Started: started.Format(time.RFC3339), Finished: time.Now().UTC().Format(time.RFC3339), Map: mapPath}
			doc := datascan.NewDocument(ds, fs, run)
			switch format {
			case "json":
				err = doc.WriteJSON(out)
			case "html":
				err = datascan.WriteRecordHTML(out, doc, m)
			case "pdf":
				err = datascan.WriteRecordPDF(out, doc, m)
			default:
				err = writeDataTable(out, ds, fs)
			}
			if err != nil {
				return fmt.Errorf("cannot write the result: %w", err)
			}
			if err := out.commit(); err != nil {
				return err
			}
			for _, s := range ds.Sources {
				if s.Error != "" {
					fmt.Fprintf(e.stderr, "vigil: source %s: %s\n", s.Name, sanitize.Terminal(s.Error))
				}
			}
			if fail.Valid() {
				for _, fd := range fs {
					if fd.Severity >= fail {
						return &exitError{code: ExitFindings, err: fmt.Errorf("a finding at or above %s: %s", fail, fd.Check)}
					}
				}
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "table, json (vigil/data/v1), html or pdf (the record of processing)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file (mode 0600) instead of standard output")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 3 when a finding at or above this severity exists")
	cmd.Flags().IntVar(&samples, "samples", 1000, "rows sampled per table")
	cmd.Flags().StringVar(&operator, "operator", "", "who runs this, recorded in the result (default: your user name)")
	cmd.Flags().StringVar(&organisation, "organisation", "", "the organisation it is run for, recorded in the result")
	return cmd
}

// writeDataTable prints a scan for a terminal.
func writeDataTable(w io.Writer, ds *facts.DataScan, fs []finding.Finding) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tTABLE/PATH\tCOLUMN\tCATEGORIES\tCONF\tROWS/COUNT\tREADERS")
	for _, s := range ds.Sources {
		for _, c := range s.Columns {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%d\t%s\n", s.Name, sanitize.Terminal(c.Table), sanitize.Terminal(c.Column), strings.Join(c.Categories, ","), c.Confidence, c.Rows, sanitize.Terminal(strings.Join(c.Readers, ",")))
		}
		for _, f := range s.Files {
			fmt.Fprintf(tw, "%s\t%s\t\t%s\t%.2f\t%d\t\n", s.Name, sanitize.Terminal(f.Path), strings.Join(f.Categories, ","), f.Confidence, f.Count)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, s := range ds.Sources {
		tls := "no TLS"
		if s.TLS {
			tls = "TLS"
		}
		switch {
		case s.Error != "":
			fmt.Fprintf(w, "source %s: not examined: %s\n", s.Name, sanitize.Terminal(s.Error))
		case s.Type == datamap.Files:
			fmt.Fprintf(w, "source %s: %d files with personal data\n", s.Name, len(s.Files))
		default:
			fmt.Fprintf(w, "source %s: %s, %s, %d personal columns\n", s.Name, sanitize.Terminal(s.Product), tls, len(s.Columns))
		}
	}
	writeRetentionTable(w, ds.Retention)
	fmt.Fprintf(w, "\n%d findings\n", len(fs))
	for _, f := range fs {
		fmt.Fprintf(w, "  %-8s %s  %s\n    %s\n", f.Severity, f.Check, f.Title, sanitize.Terminal(f.Evidence))
	}
	return nil
}

func writeRetentionTable(w io.Writer, rs []facts.DataRetention) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tTABLE/PATH\tMAX AGE\tBEFORE\tEXCEEDING\tTOTAL\tBASIS")
	for _, r := range rs {
		what := r.Table + "." + r.Column
		if r.Table == "" {
			what = r.Path
			if what == "" {
				what = "(all files)"
			}
		}
		ex := fmt.Sprint(r.Exceeding)
		if r.Error != "" {
			ex = "error: " + sanitize.Terminal(r.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Source, what, r.MaxAge, r.Cutoff, ex, r.Total, r.Basis)
	}
	tw.Flush()
}

func newDataRetentionCmd(e *env) *cobra.Command {
	var f dataFlags
	var format string
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Count the rows and files older than the map's retention rules (counts only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usageError("--format %q: use table or json", format)
			}
			m, _, err := f.load()
			if err != nil {
				return err
			}
			if len(m.Retention) == 0 {
				return errors.New("the data map declares no retention rule")
			}
			o := f.options()
			o.Now = time.Now().UTC()
			rs := datascan.Retention(cmd.Context(), m, o)
			if format == "json" {
				doc := struct {
					Schema    string                `json:"schema"`
					Retention []facts.DataRetention `json:"retention"`
				}{"vigil/data-retention/v1", rs}
				return writeJSON(e.stdout, doc)
			}
			writeRetentionTable(e.stdout, rs)
			for _, r := range rs {
				if r.Error != "" {
					return fmt.Errorf("some rules could not be counted (source %s)", r.Source)
				}
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

// writeJSON writes v indented.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
