package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/fix"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/result"
)

// outputFlags are the flags shared by the commands that produce a document
// (scan, host, host observe).
type outputFlags struct {
	format, output, color, failOn, db string
	noStore, verbose                  bool
}

// sink is where a command's document goes: the chosen format on standard
// output or -o FILE, and the store.
type sink struct {
	e      *env
	f      *outputFlags
	w      report.Writer
	out    io.Writer
	close  func()
	failOn finding.Severity
}

// newSink checks the output flags and opens the output, before any work
// starts, so a mistyped flag costs nothing.
func newSink(e *env, f *outputFlags) (*sink, error) {
	s := &sink{e: e, f: f, close: func() {}}
	if f.failOn != "" {
		var err error
		if s.failOn, err = finding.ParseSeverity(f.failOn); err != nil {
			return nil, usageError("--fail-on: %v", err)
		}
	}
	if _, err := report.New(f.format, report.Options{}); err != nil {
		return nil, usageError("--format: %v", err)
	}
	out, closeOut, err := openOutput(e.stdout, f.output)
	if err != nil {
		return nil, err
	}
	color, err := colorWanted(f.color, out)
	if err != nil {
		closeOut()
		return nil, err
	}
	s.out, s.close = out, closeOut
	s.w, _ = report.New(f.format, report.Options{Color: color, Fixable: fix.Fixable})
	return s, nil
}

// Close closes the output file, if any.
func (s *sink) Close() { s.close() }

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
	if storeErr != nil {
		return storeErr
	}
	switch {
	case s.f.output != "" && s.f.output != "-" && s.f.format != "table":
		fmt.Fprintf(s.e.stderr, "Level %d of 5. Result written to %s", doc.Level.Value, s.f.output)
		if where != "" {
			fmt.Fprintf(s.e.stderr, "; %s %s stored in %s", what, doc.ID, where)
		}
		fmt.Fprintln(s.e.stderr, ".")
	case where != "" && s.f.verbose:
		fmt.Fprintf(s.e.stderr, "%s%s %s stored in %s.\n", strings.ToUpper(what[:1]), what[1:], doc.ID, where)
	}
	return failOnError(doc, s.failOn)
}
