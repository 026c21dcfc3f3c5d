// Package result is the vigil/scan/v1 document: what a scan found, judged
// and rated, in the shape every report format and the store share.
package result

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
)

// Schema is the value of the document's "schema" field.
const Schema = "vigil/scan/v1"

// Document is one scan's result. Fields beyond the schema's are additions
// the schema allows.
type Document struct {
	Schema   string            `json:"schema"`
	ID       string            `json:"id"`
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished"`
	Targets  []string          `json:"targets"`
	Hosts    []Host            `json:"hosts"`
	Findings []finding.Finding `json:"findings"`
	Level    level.Level       `json:"level"`
	// Ports is the port selection the scan used, e.g. "1-65535".
	Ports string `json:"ports,omitempty"`
	// UDPPorts is the UDP ports the scan probed, e.g. "53,123,161"; "" when
	// it probed none. It is nil in documents of vigil versions that did not
	// record it: which UDP ports they probed is not known.
	UDPPorts *string `json:"udp_ports,omitempty"`
	// PortsOnly records that the scan only looked for open ports
	// (--ports-only): it identified and audited nothing.
	PortsOnly bool `json:"ports_only,omitempty"`
	// NoDefaultCreds records that the scan tried no vendor-default
	// credentials (--no-default-creds).
	NoDefaultCreds bool `json:"no_default_creds,omitempty"`
	// Label names the environment the scan describes (e.g. "office"), for
	// comparisons.
	Label string `json:"label,omitempty"`
	// Untrusted records that the scan ran from a network that should not
	// reach administration services or databases (--untrusted).
	Untrusted bool `json:"untrusted,omitempty"`
	// Tool is the vigil version that wrote the document.
	Tool string `json:"tool,omitempty"`
	// Kind is "host" for a host audit (vigil host); empty for a network scan.
	Kind string `json:"kind,omitempty"`
	// HostAudit holds what a host audit saw from inside the machine.
	HostAudit *facts.HostAudit `json:"host_audit,omitempty"`
	// Run says who ran the scan or audit, from where, with which build and
	// options.
	Run *Run `json:"run,omitempty"`
	// Complete is true for a document of work that finished (vigil never
	// writes one that did not); absent in documents of older versions.
	Complete *bool `json:"complete,omitempty"`
	// NotExamined lists what the scan did not examine on any of its hosts
	// (UDP not probed, a probe switched off by an option); each host's
	// own gaps are in its NotExamined.
	NotExamined []Gap `json:"not_examined,omitempty"`
	// QuietHosts counts hosts that answered with no open port but are not
	// listed: a scan lists the first 65,536 such hosts and counts the rest.
	QuietHosts int `json:"quiet_hosts,omitempty"`
}

// KindHost marks a document written by a host audit.
const KindHost = "host"

// Host is one scanned host in the document.
type Host struct {
	Address  string           `json:"address"`
	Names    []string         `json:"names"`
	Level    int              `json:"level"`
	Reason   string           `json:"level_reason,omitempty"`
	Ports    facts.PortCounts `json:"ports"`
	Services []facts.Service  `json:"services"`
	// Audited is when this host was last audited from inside (vigil host),
	// if ever.
	Audited *time.Time `json:"audited,omitempty"`
	// NotExamined lists what the scan or audit could not examine on this
	// host: ports it could not identify, audits that failed, probes the
	// options switched off. While it is not empty, no compliance control
	// of the host is met, only partly examined.
	NotExamined []Gap `json:"not_examined,omitempty"`
}

// Run is who ran a scan, from where, with what: what an auditor asks first.
type Run struct {
	// Operator is the person who ran it (--operator, else the OS user).
	Operator string `json:"operator"`
	// Organisation is the organisation it was run for (configuration).
	Organisation string `json:"organisation,omitempty"`
	// Scanner is the machine it ran on.
	Scanner Scanner `json:"scanner"`
	// Version and Revision identify the build of vigil.
	Version  string `json:"version"`
	Revision string `json:"revision"`
	// Options are the settings that shaped the result.
	Options map[string]any `json:"options"`
}

// Scanner is the machine a scan ran on and the addresses it used.
type Scanner struct {
	Host string `json:"host"`
	// Addresses are the source addresses the scan's connections used.
	Addresses []string `json:"addresses,omitempty"`
}

// Summary says the run in one line: "run by alice for Clinic on vm from
// 10.0.0.2, vigil 1.2.0 (revision 0123456789ab)".
func (r *Run) Summary() string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("run by " + r.Operator)
	if r.Organisation != "" {
		b.WriteString(" for " + r.Organisation)
	}
	b.WriteString(" on " + r.Scanner.Host)
	if len(r.Scanner.Addresses) > 0 {
		b.WriteString(" from " + strings.Join(r.Scanner.Addresses, ", "))
	}
	rev := r.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	fmt.Fprintf(&b, ", vigil %s (revision %s)", r.Version, rev)
	return b.String()
}

// When says when the work ran, with the time of day: "2026-12-07
// 16:30:05 to 16:31:12 UTC".
func (d *Document) When() string {
	s, f := d.Started.UTC(), d.Finished.UTC()
	if s.Format("2006-01-02") == f.Format("2006-01-02") {
		return fmt.Sprintf("%s to %s UTC", s.Format("2006-01-02 15:04:05"), f.Format("15:04:05"))
	}
	return fmt.Sprintf("%s to %s UTC", s.Format("2006-01-02 15:04:05"), f.Format("2006-01-02 15:04:05"))
}

// Done marks the document as the result of finished work.
func (d *Document) Done() {
	t := true
	d.Complete = &t
}

// Gap is one thing a scan or audit did not examine on a host.
type Gap struct {
	Port      int    `json:"port,omitempty"`
	Transport string `json:"transport,omitempty"`
	// What says what was not examined and why, in words.
	What string `json:"what"`
	// Checks are the checks the gap concerns; empty for every check.
	Checks []string `json:"checks,omitempty"`
}

// Where names the gap's place: "tcp/8080", or "" for the host as a whole.
func (g Gap) Where() string {
	if g.Port == 0 {
		return ""
	}
	return fmt.Sprintf("%s/%d", g.Transport, g.Port)
}

// serviceGaps lists what was not examined of a host's services: ports no
// probe identified and audits that did not complete.
func serviceGaps(h facts.Host) []Gap {
	var out []Gap
	for _, s := range h.Services {
		switch {
		case s.Name == facts.Unknown:
			why := "not identified: it answered none of vigil's probes"
			if r := s.Detail(facts.DetailUnexamined); r != "" {
				why = "not identified: " + r
			} else if s.Detail(facts.DetailEcho) != "" {
				why = "not identified: it sends back whatever it is sent (an echo service)"
			} else if s.Banner != "" || s.TLS {
				why = "not identified: vigil does not recognise what it says"
			}
			out = append(out, Gap{Port: s.Port, Transport: s.Transport, What: why})
		case len(s.AuditErrors) > 0:
			out = append(out, Gap{Port: s.Port, Transport: s.Transport, What: s.Name + " audit did not complete: " + strings.Join(s.AuditErrors, "; ")})
		}
	}
	return foldGaps(out)
}

// maxGaps is how many ports with the same reason are listed one by one;
// the rest are counted.
const maxGaps = 10

// foldGaps keeps the first maxGaps gaps of each reason and counts the rest
// in one gap.
func foldGaps(gs []Gap) []Gap {
	n := map[string]int{}
	var out []Gap
	for _, g := range gs {
		n[g.What]++
		switch {
		case n[g.What] <= maxGaps:
			out = append(out, g)
		case n[g.What] == maxGaps+1:
			out = append(out, Gap{What: g.What}) // the count is filled in below
		}
	}
	for i, g := range out {
		if g.Port == 0 && n[g.What] > maxGaps {
			out[i].What = fmt.Sprintf("%d more ports, %s", n[g.What]-maxGaps, g.What)
		}
	}
	return out
}

// NoteGap records a gap on every host of the document (an option that
// switched probes off, UDP not probed).
func (d *Document) NoteGap(g Gap) { d.NotExamined = append(d.NotExamined, g) }

// NewID returns a fresh scan identifier: the start time and random bits, so
// IDs sort by time.
func NewID(started time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return started.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Assemble builds a document from scanned hosts and their findings, rating
// each host and the whole. audited maps a host address to its last host
// audit, when there was one.
func Assemble(id string, started, finished time.Time, targets []string, hosts []facts.Host, findings []finding.Finding, audited map[string]time.Time) *Document {
	finding.Sort(findings)
	doc := &Document{Schema: Schema, ID: id, Started: started.UTC(), Finished: finished.UTC(),
		Targets: append([]string{}, targets...), Findings: append([]finding.Finding{}, findings...), Hosts: []Host{}}
	byHost := map[string][]finding.Finding{}
	for _, f := range findings {
		byHost[f.Host] = append(byHost[f.Host], f)
	}
	levels := map[string]level.Level{}
	for _, h := range hosts {
		at := audited[h.Address]
		lv := level.Host(byHost[h.Address], at, finished)
		levels[h.Address] = lv
		rh := Host{Address: h.Address, Names: append([]string{}, h.Names...), Level: lv.Value, Reason: lv.Reason,
			Ports: h.Ports, Services: append([]facts.Service{}, h.Services...), NotExamined: serviceGaps(h)}
		if !at.IsZero() {
			t := at.UTC()
			rh.Audited = &t
		}
		doc.Hosts = append(doc.Hosts, rh)
	}
	// Findings about hosts that have no services (host audits) still rate them.
	for h, fs := range byHost {
		if _, ok := levels[h]; !ok {
			levels[h] = level.Host(fs, audited[h], finished)
		}
	}
	doc.Level = level.Overall(levels, doc.Findings)
	return doc
}

// SameTargets reports whether two target lists name the same targets: the
// same expressions, in any order, ignoring surrounding space and repeats.
func SameTargets(a, b []string) bool {
	norm := func(ts []string) []string {
		out := make([]string, 0, len(ts))
		for _, t := range ts {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

// FactsHosts returns the hosts as facts, for judging a stored document again.
func (d *Document) FactsHosts() []facts.Host {
	out := make([]facts.Host, 0, len(d.Hosts))
	for _, h := range d.Hosts {
		out = append(out, facts.Host{Address: h.Address, Names: h.Names, Ports: h.Ports, Services: h.Services})
	}
	return out
}

// Write encodes the document as indented JSON.
func (d *Document) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(true)
	return enc.Encode(d)
}

// Read decodes a document and validates it (see Validate).
func Read(r io.Reader) (*Document, error) {
	var d Document
	dec := json.NewDecoder(io.LimitReader(r, 1<<30))
	if err := dec.Decode(&d); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: it is empty", ErrInvalid)
	} else if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return nil, fmt.Errorf("%w: it is a JSON %s, not an object", ErrInvalid, te.Value)
			}
			return nil, fmt.Errorf("%w: %s holds a JSON %s, which does not belong there", ErrInvalid, te.Field, te.Value)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// carriedPrefix starts the evidence of every finding Carry files.
const carriedPrefix = "host audit "

// Carried reports whether a finding of a network scan's document came from
// a host audit (see Carry): only another host audit can recheck it.
func Carried(f finding.Finding) bool { return strings.HasPrefix(f.Evidence, carriedPrefix) }

// Carry returns what a host audit (vigil host) says about one address of
// its machine, for a network scan's document: the audit's findings filed
// under that address, and its findings about the machine as a whole (port
// 0, filed under the machine's name) filed again under the address, port 0.
// Each names the audit and its date in its evidence.
func Carry(audit *Document, addr string) []finding.Finding {
	if audit == nil || audit.HostAudit == nil {
		return nil
	}
	name := audit.HostAudit.Hostname
	from := fmt.Sprintf(carriedPrefix+"%s of %s, %s", audit.ID, nonEmpty(name, "this machine"), audit.Finished.UTC().Format("2006-01-02 15:04 UTC"))
	var out []finding.Finding
	for _, f := range audit.Findings {
		switch {
		case f.Host == addr:
		case f.Port == 0 && f.Host == name:
			f.Host = addr
			f.ID = finding.MakeID(f.Check, addr, 0, f.Transport, f.Subject)
		default:
			continue
		}
		f.Evidence = from + ": " + f.Evidence
		out = append(out, f)
	}
	return out
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
