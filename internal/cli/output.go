package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/internal/buildinfo"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/fix"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/result"
)

// outputFlags are the flags shared by the commands that produce a document
// (scan, host, host observe).
type outputFlags struct {
	format, output, color, failOn, db, mode string
	vulnDB                                  string
	operator, organisation                  string
	noStore, verbose, brief                 bool
}

// sink is where a command's document goes: the chosen format on standard
// output or -o FILE, and the store.
type sink struct {
	e      *env
	f      *outputFlags
	w      report.Writer
	out    *output
	failOn finding.Severity
}

// addRunFlags adds --operator and --organisation, recorded in the result.
func addRunFlags(fl *pflag.FlagSet, f *outputFlags) {
	fl.StringVar(&f.operator, "operator", "", "who runs this, recorded in the result (default: your user name)")
	fl.StringVar(&f.organisation, "organisation", "", "the organisation it is run for, recorded in the result")
}

// newRun says who runs the command, from where, with which build and
// options, for the result's run object.
func newRun(e *env, f *outputFlags, options map[string]any) result.Run {
	op := strings.TrimSpace(f.operator)
	if op == "" {
		op = osUser()
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	rev := buildinfo.Read().Revision
	if rev == "" {
		rev = "unknown" // built without version control information (go build -buildvcs=false)
	}
	return result.Run{Operator: op, Organisation: strings.TrimSpace(f.organisation), Scanner: result.Scanner{Host: host},
		Version: e.version, Revision: rev, Options: options}
}

// addBriefFlag adds --brief, one line per finding in the table.
func addBriefFlag(fl *pflag.FlagSet, brief *bool) {
	fl.BoolVar(brief, "brief", false, "table: the level and one line per finding")
}

// addModeFlag adds --mode, the permission bits of -o files.
func addModeFlag(fl *pflag.FlagSet, mode *string) {
	fl.StringVar(mode, "mode", "", "permission bits of the file -o writes, in octal (default 0600: readable by you alone)")
}

// newSink checks the output flags and opens the output, before any work
// starts, so a mistyped flag costs nothing.
func newSink(e *env, f *outputFlags) (*sink, error) {
	s := &sink{e: e, f: f}
	if f.failOn != "" {
		var err error
		if s.failOn, err = finding.ParseSeverity(f.failOn); err != nil {
			return nil, usageError("--fail-on: %v", err)
		}
	}
	if _, err := report.New(f.format, report.Options{}); err != nil {
		return nil, usageError("--format: %v", err)
	}
	mode, err := parseMode(f.mode)
	if err != nil {
		return nil, err
	}
	out, err := openOutput(e.stdout, f.output, mode)
	if err != nil {
		return nil, err
	}
	color, err := colorWanted(f.color, out.Writer)
	if err != nil {
		out.abort()
		return nil, err
	}
	s.out = out
	s.w, _ = report.New(f.format, report.Options{Color: color, Offer: fix.Offer, Brief: f.brief})
	return s, nil
}

// Close drops the output file if the document was not written.
func (s *sink) Close() { s.out.abort() }

// emit stores the document (unless --no-store), writes it, says where it
// went, and applies --fail-on. A store failure is reported after the
// document is written: the user always sees the result.
func (s *sink) emit(ctx context.Context, doc *result.Document, what string) error {
	var storeErr error
	where := ""
	if !s.f.noStore {
		where, storeErr = saveScan(ctx, s.f.db, doc)
	}
	if err := s.w.Write(s.out, doc); err != nil {
		return fmt.Errorf("cannot write the result: %w", err)
	}
	if err := s.out.commit(); err != nil {
		return err
	}
	if storeErr != nil {
		return storeErr
	}
	// Where the result went, always: the id is what report, diff, fix
	// and accept take.
	var parts []string
	if s.f.output != "" && s.f.output != "-" {
		parts = append(parts, fmt.Sprintf("Level %d of 5. Result written to %s", doc.Level.Value, s.f.output))
	}
	if where != "" {
		parts = append(parts, fmt.Sprintf("%s %s stored in %s", what, doc.ID, where))
	}
	if len(parts) > 0 {
		line := strings.Join(parts, "; ")
		fmt.Fprintf(s.e.stderr, "%s%s.\n", strings.ToUpper(line[:1]), line[1:])
	}
	return failOnError(doc, s.failOn)
}
