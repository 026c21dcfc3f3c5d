package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/observe"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/vuln"
)

// HostJudgement is what judging a host audit needs besides its facts.
type HostJudgement struct {
	// Version is vigil's version, written into the document.
	Version string
	// Started is when the audit began.
	Started time.Time
	// Scanned are the newest network scan's hosts: flows to them are
	// judged by what the scan saw of their servers. Nil: none.
	Scanned []facts.Host
	// Accepted are the risk acceptances in force.
	Accepted map[string]finding.Acceptance
	// Vulns matches the installed packages; nil when there is no
	// vulnerability database (the document then says so).
	Vulns *vuln.Matcher
}

// HostAudit audits a machine from inside (this one, one over SSH, or a
// mounted root) and judges what it found into a document.
func HostAudit(ctx context.Context, t hostaudit.Target, opt hostaudit.Options, j HostJudgement) (*result.Document, error) {
	h, err := hostaudit.Collect(ctx, t, opt)
	if err != nil {
		return nil, fmt.Errorf("the host audit failed: %w", err)
	}
	return JudgeHostAudit(ctx, h, j)
}

// Watched is what `vigil host observe` saw: the audit of this machine with
// its observation, and whether the watch was cut short.
type Watched struct {
	Audit *facts.HostAudit
	// Interrupted is true when ctx ended the watch early; the
	// observation covers the time watched.
	Interrupted bool
}

// Observe audits this machine, then watches its listeners for cfg.Window.
// onStart, when set, learns how many listeners are watched (and how many
// of them other hosts can reach) before the watch begins.
func Observe(ctx context.Context, cfg observe.Config, onStart func(listeners, reachable int, method string, until time.Time)) (Watched, error) {
	h, err := hostaudit.Collect(ctx, hostaudit.Local(), hostaudit.Options{})
	if err != nil {
		return Watched{}, fmt.Errorf("cannot audit this machine: %w", err)
	}
	if onStart != nil {
		cfg.OnStart = func(method string, until time.Time) {
			n := 0
			for _, l := range h.Listeners {
				if l.Reachable {
					n++
				}
			}
			onStart(len(h.Listeners), n, method, until)
		}
	}
	res, werr := observe.Watch(ctx, h.Listeners, cfg)
	if res == nil {
		return Watched{}, werr
	}
	interrupted := false
	if werr != nil {
		if !errors.Is(werr, context.Canceled) {
			return Watched{}, werr
		}
		interrupted = true
	}
	obs := res.Observation
	h.Observation = &obs
	h.Errors = append(h.Errors, res.Notes...)
	return Watched{Audit: h, Interrupted: interrupted}, nil
}

// JudgeHostAudit judges a host audit and builds its vigil/scan/v1
// document: every address the audit vouches for is a host of the
// document, audited at the end of the audit, so that a clean machine
// reaches level 5. Besides the host checks it judges the ports nobody used
// (after an observation), live flows over cleartext protocols joined with
// j.Scanned (a flow's server on another machine is rated by its finding but
// not vouched for as audited), and the installed packages' known
// vulnerabilities. An audit of a mounted root vouches for no host: its
// document names the directory as its target.
func JudgeHostAudit(ctx context.Context, h *facts.HostAudit, j HostJudgement) (*result.Document, error) {
	known, err := knownVulns(ctx, j.Vulns, h)
	if err != nil {
		return nil, err
	}
	finished := time.Now()
	findings := check.JudgeHostAudit(h, h.Time)
	audited := map[string]time.Time{}
	var hosts []facts.Host
	name := h.Hostname
	for _, a := range store.AuditedAddresses(h) {
		audited[a] = finished
		host := facts.Host{Address: a}
		if a != name {
			host.Names = nonEmpty(name)
		}
		hosts = append(hosts, host)
	}
	for _, fd := range findings {
		if _, ok := audited[fd.Host]; !ok {
			audited[fd.Host] = finished
			hosts = append(hosts, facts.Host{Address: fd.Host})
		}
	}
	// Known vulnerabilities are the packages', not the listeners': they
	// make no host of the document audited.
	more := append(check.JudgeUnused(h), check.JudgeFlows(h, j.Scanned, h.Time)...)
	for _, fd := range append(more, known.findings...) {
		if !slices.ContainsFunc(findings, func(x finding.Finding) bool { return x.ID == fd.ID }) {
			findings = append(findings, fd)
		}
	}
	target := h.Hostname
	switch {
	case h.Remote != "":
		target = h.Remote
	case h.Root != "":
		target = h.Root
	}
	finding.Accept(findings, j.Accepted, finished)
	doc := result.Assemble(result.NewID(j.Started), j.Started, finished, nonEmpty(target), hosts, findings, audited)
	if h.Root != "" && len(doc.Hosts) == 0 && len(doc.Findings) == 0 {
		doc.Level.Reason = "a mounted root (" + h.Root + ") is no running machine: it vouches for no host, and was rated by its files alone"
	}
	doc.Kind = result.KindHost
	doc.HostAudit = h
	for _, e := range h.Errors {
		doc.NoteGap(result.Gap{What: e})
	}
	for _, u := range h.Unjudged {
		if cs := check.ConfigChecks(u.Kind); len(cs) > 0 {
			doc.NoteGap(result.Gap{What: fmt.Sprintf("%s (pid %d): its configuration was not read whole, so %s were not judged on it (%s)",
				u.Kind, u.PID, strings.Join(cs, ", "), u.Why), Checks: cs})
		}
	}
	if known.gap != "" {
		doc.NoteGap(result.Gap{What: known.gap, Checks: []string{vuln.CheckID}})
	}
	doc.Done()
	doc.Tool = "vigil " + j.Version
	return doc, nil
}

// audited holds what the vulnerability database says of a host audit's
// packages: findings, or why they were not matched.
type audited struct {
	findings []finding.Finding
	gap      string
}

// knownVulns matches a host audit's installed packages against the
// vulnerability database; the findings are filed under the machine's
// name, or the mounted root's directory.
func knownVulns(ctx context.Context, m *vuln.Matcher, h *facts.HostAudit) (audited, error) {
	switch {
	case m == nil:
		return audited{gap: "known vulnerabilities: not checked (no database; run 'vigil vulndb update' or 'vigil vulndb import')"}, nil
	case len(h.Packages) == 0:
		return audited{gap: "known vulnerabilities: no package database was read, so no installed software was matched"}, nil
	}
	fs, eco, err := m.Packages(ctx, cmp.Or(h.Hostname, h.Root), h)
	if err != nil {
		return audited{gap: "known vulnerabilities: not checked (" + err.Error() + ")"}, nil
	}
	if eco == "" {
		name := "this operating system"
		if h.OS != nil {
			name = cmp.Or(h.OS.PrettyName, h.OS.ID)
		}
		return audited{gap: "known vulnerabilities: " + name + " is not a distribution vigil matches (Debian, Ubuntu, Alpine, Rocky Linux, AlmaLinux)"}, nil
	}
	if ok, err := m.HasData(ctx, eco); err != nil || !ok {
		return audited{gap: "known vulnerabilities: not checked (the database holds no " + eco + " data; run 'vigil vulndb update --osv " + strings.Split(eco, ":")[0] + "')"}, nil
	}
	return audited{findings: fs}, nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
