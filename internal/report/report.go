// Package report renders a scan document in the formats vigil writes. Every
// format implements Writer; Formats lists them in the order help text shows.
package report

import (
	"fmt"
	"io"
	"strings"

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
}

// formats is the registry of output formats, in the order help lists them.
var formats = []format{
	{"table", func(o Options) Writer { return Table(o) }},
	{"json", func(Options) Writer { return JSON{} }},
	{"sarif", func(Options) Writer { return SARIF{} }},
	{"csv", func(Options) Writer { return CSV{} }},
	{"html", func(Options) Writer { return HTML{} }},
	{"pdf", func(Options) Writer { return PDF{} }},
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
			return f.make(o), nil
		}
	}
	return nil, fmt.Errorf("unknown format %q: use one of %s", name, strings.Join(Formats(), ", "))
}

// JSON writes the vigil/scan/v1 document.
type JSON struct{}

// Write implements Writer.
func (JSON) Write(w io.Writer, doc *result.Document) error { return doc.Write(w) }
