// Package report renders a scan document in the formats vigil writes. Every
// format implements Writer; Formats lists them in the order help text shows.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// Writer renders one document.
type Writer interface {
	Write(w io.Writer, doc *result.Document) error
}

// Options tune rendering where a format has choices.
type Options struct {
	// Color enables ANSI colours in the table format.
	Color bool
	// Offer, when set, tells whether `vigil fix` has an applier for a
	// finding on the service seen on its port (nil when none was: see
	// ServiceFor); the table then promises the fix under each such
	// finding, and only there.
	Offer func(f finding.Finding, svc *facts.Service) bool
	// Brief makes the table one line per finding.
	Brief bool
	// Compliance, when set, is a framework's assessment of the document:
	// the table prints it after the findings, JSON becomes the assessment
	// (vigil/compliance/v1), HTML and PDF add its control table. Formats
	// that carry each finding's controls already (SARIF, CSV) refuse it.
	Compliance *compliance.Assessment
}

// ServiceFor is what a document saw on a finding's port: the service the
// scan identified there, or else, from a host audit, what the daemon that
// holds the listener serves. It returns nil when neither says.
func ServiceFor(doc *result.Document, f finding.Finding) *facts.Service {
	tr := f.Transport
	if tr == "" {
		tr = facts.TCP
	}
	if f.Port > 0 {
		for hi := range doc.Hosts {
			h := &doc.Hosts[hi]
			if h.Address != f.Host {
				continue
			}
			for si := range h.Services {
				if s := &h.Services[si]; s.Port == f.Port && strings.EqualFold(s.Transport, tr) {
					return s
				}
			}
		}
	}
	if doc.HostAudit != nil && f.Port > 0 {
		if l, ok := doc.HostAudit.ListenerFor(f.Host, tr, f.Port); ok {
			return doc.HostAudit.ServiceOf(l)
		}
	}
	return nil
}

// format is one registered output format.
type format struct {
	name string
	make func(Options) Writer
	// compliance is true when the format can show a compliance assessment.
	compliance bool
}

// formats is the registry of output formats, in the order help lists them.
var formats = []format{
	{"table", func(o Options) Writer { return Table(o) }, true},
	{"json", func(o Options) Writer {
		if o.Compliance != nil {
			return complianceJSON{o.Compliance}
		}
		return JSON{}
	}, true},
	{"sarif", func(Options) Writer { return SARIF{} }, false},
	{"csv", func(Options) Writer { return CSV{} }, false},
	{"html", func(o Options) Writer { return HTML{Compliance: o.Compliance} }, true},
	{"pdf", func(o Options) Writer { return PDF{Compliance: o.Compliance} }, true},
}

// ComplianceFormats returns the formats that can show a compliance
// assessment.
func ComplianceFormats() []string {
	var names []string
	for _, f := range formats {
		if f.compliance {
			names = append(names, f.name)
		}
	}
	return names
}

// Formats returns the names of the supported formats.
func Formats() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}

// New returns the writer for a format name.
func New(name string, o Options) (Writer, error) {
	for _, f := range formats {
		if f.name == strings.ToLower(name) {
			if o.Compliance != nil && !f.compliance {
				return nil, fmt.Errorf("a compliance assessment can be written as %s; %s carries each finding's controls already", strings.Join(ComplianceFormats(), ", "), f.name)
			}
			return f.make(o), nil
		}
	}
	return nil, fmt.Errorf("unknown format %q: use one of %s", name, strings.Join(Formats(), ", "))
}

// complianceJSON writes the assessment (vigil/compliance/v1), which
// carries the findings it cites.
type complianceJSON struct{ a *compliance.Assessment }

func (c complianceJSON) Write(w io.Writer, _ *result.Document) error {
	return compliance.WriteJSON(w, c.a)
}

// JSON writes the vigil/scan/v1 document.
type JSON struct{}

// Write implements Writer.
func (JSON) Write(w io.Writer, doc *result.Document) error { return doc.Write(w) }
