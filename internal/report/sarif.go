package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// SARIF writes a SARIF 2.1.0 log with one run: the check catalogue as the
// tool's rules and one result per finding. Each result's location is a
// relative artifact URI naming the host, transport and port
// (hosts/127.0.2.12/tcp/2222), which GitHub code scanning and other viewers
// accept, plus a logical location "127.0.2.12:2222/tcp"; the stable finding
// ID is its partial fingerprint, so a finding keeps its alert across scans.
// The CVE ids of vuln.known findings are the taxa of a "CVE" taxonomy in
// run.taxonomies; each such result refers to its own in its taxa and
// lists every vulnerability id in its tags.
type SARIF struct{}

// sarifSchemaURI is the OASIS schema of SARIF 2.1.0 (errata 01).
const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// sarifFingerprint is the key of the finding ID among partialFingerprints.
const sarifFingerprint = "vigilFindingId/v1"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool         `json:"tool"`
	AutomationDetails *sarifAutomation  `json:"automationDetails,omitempty"`
	Invocations       []sarifInvocation `json:"invocations"`
	// Taxonomies hold the CVE ids of the run's vuln.known results.
	Taxonomies []sarifTaxonomy `json:"taxonomies,omitempty"`
	Results    []sarifResult   `json:"results"`
	Properties map[string]any  `json:"properties,omitempty"`
}

// sarifTaxonomy is a standard taxonomy (SARIF 2.1.0 §3.19.3): a
// toolComponent in run.taxonomies with taxa and no rules.
type sarifTaxonomy struct {
	Name             string       `json:"name"`
	GUID             string       `json:"guid"`
	Organization     string       `json:"organization"`
	ShortDescription sarifText    `json:"shortDescription"`
	InformationURI   string       `json:"informationUri"`
	Taxa             []sarifTaxon `json:"taxa"`
}

// sarifTaxon is one category of a taxonomy (a reportingDescriptor).
type sarifTaxon struct {
	ID      string `json:"id"`
	HelpURI string `json:"helpUri,omitempty"`
}

// sarifTaxonRef is a result's reference to a taxon (a
// reportingDescriptorReference, §3.52): its id, its index in the
// taxonomy's taxa, and the taxonomy.
type sarifTaxonRef struct {
	ID            string            `json:"id"`
	Index         int               `json:"index"`
	ToolComponent sarifComponentRef `json:"toolComponent"`
}

// sarifComponentRef names a toolComponent (§3.54); the GUID is what finds
// a taxonomy in run.taxonomies, as in the specification's CWE examples.
type sarifComponentRef struct {
	Name string `json:"name"`
	GUID string `json:"guid"`
}

// The CVE taxonomy. Its GUID is the version-5 UUID of the URL
// https://www.cve.org/, fixed so that every vigil log names it alike.
const (
	cveTaxonomy     = "CVE"
	cveTaxonomyGUID = "bbef9849-8604-5016-a7ef-ed519e026159"
)

// cveID matches a CVE id; only such ids become taxa of the CVE taxonomy
// (other advisories' ids are still the result's tags).
var cveID = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// cveTaxa collects the CVE ids of a run, each once, in the order results
// name them.
type cveTaxa struct {
	taxa  []sarifTaxon
	index map[string]int
}

// refs adds the CVE ids of vs to the taxonomy and returns the result's
// references to them.
func (c *cveTaxa) refs(vs []finding.Vulnerability) []sarifTaxonRef {
	var out []sarifTaxonRef
	seen := map[string]bool{}
	for _, v := range finding.WorstFirst(vs) {
		if !cveID.MatchString(v.ID) || seen[v.ID] {
			continue
		}
		seen[v.ID] = true
		i, ok := c.index[v.ID]
		if !ok {
			i = len(c.taxa)
			c.index[v.ID] = i
			c.taxa = append(c.taxa, sarifTaxon{ID: v.ID, HelpURI: httpURL(v.URL)})
		}
		out = append(out, sarifTaxonRef{ID: v.ID, Index: i, ToolComponent: sarifComponentRef{Name: cveTaxonomy, GUID: cveTaxonomyGUID}})
	}
	return out
}

// taxonomies returns run.taxonomies: the CVE taxonomy when the run named
// any CVE, else nothing.
func (c *cveTaxa) taxonomies() []sarifTaxonomy {
	if len(c.taxa) == 0 {
		return nil
	}
	return []sarifTaxonomy{{Name: cveTaxonomy, GUID: cveTaxonomyGUID, Organization: "MITRE",
		ShortDescription: sarifText{Text: "Common Vulnerabilities and Exposures"},
		InformationURI:   "https://www.cve.org/", Taxa: c.taxa}}
}

// vulnTags are a result's tags: the ids of its vulnerabilities, worst
// first, escaped, each once.
func vulnTags(vs []finding.Vulnerability) []string {
	var tags []string
	seen := map[string]bool{}
	for _, v := range finding.WorstFirst(vs) {
		if id := clean(v.ID); !seen[id] {
			seen[id] = true
			tags = append(tags, id)
		}
	}
	return tags
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name    string      `json:"name"`
	Version string      `json:"version,omitempty"`
	Rules   []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool   `json:"executionSuccessful"`
	StartTimeUTC        string `json:"startTimeUtc,omitempty"`
	EndTimeUTC          string `json:"endTimeUtc,omitempty"`
	// ToolExecutionNotifications say what the scan did not examine.
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

// gapNotifications turns what the document did not examine into SARIF
// notifications, one per gap, located at the host and port it concerns.
func gapNotifications(doc *result.Document) []sarifNotification {
	var out []sarifNotification
	add := func(host string, g result.Gap) {
		n := sarifNotification{Level: "note", Message: sarifText{Text: "Not examined: " + clean(g.What)}}
		if host != "" {
			f := finding.Finding{Host: host, Port: g.Port, Transport: g.Transport}
			place := where(f)
			n.Message.Text = "Not examined on " + place + ": " + clean(g.What)
			n.Locations = []sarifLocation{{
				PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: findingURI(f)}},
				LogicalLocations: []sarifLogical{{Name: place, FullyQualifiedName: place, Kind: "resource"}},
			}}
		}
		out = append(out, n)
	}
	for _, g := range doc.NotExamined {
		add("", g)
	}
	for _, h := range doc.Hosts {
		for _, g := range h.NotExamined {
			add(h.Address, g)
		}
	}
	return out
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	// Suppressions carry a risk acceptance (vigil accept).
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	// Taxa are the CVE ids of a vuln.known result.
	Taxa       []sarifTaxonRef `json:"taxa,omitempty"`
	Properties map[string]any  `json:"properties"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s finding.Severity) string {
	switch {
	case s >= finding.High:
		return "error"
	case s == finding.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning reads from a
// rule's "security-severity" property to rank alerts (9.0+ critical, 7.0+
// high, 4.0+ medium, above 0 low).
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return "9.5"
	case finding.High:
		return "8.0"
	case finding.Medium:
		return "5.5"
	case finding.Low:
		return "3.0"
	}
	return "0.0"
}

// ruleName turns a check ID into the PascalCase identifier SARIF rule names
// use: tls.protocol.no-tls13 → TlsProtocolNoTls13.
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		switch {
		case r == '.' || r == '-' || r == '_':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func makeRule(c check.Check) sarifRule {
	return sarifRule{
		ID: c.ID, Name: ruleName(c.ID),
		ShortDescription:     sarifText{Text: c.Title},
		FullDescription:      sarifText{Text: c.Rationale},
		Help:                 sarifText{Text: "Fix: " + c.Fix},
		DefaultConfiguration: sarifConfig{Level: sarifLevel(c.Severity)},
		Properties: map[string]any{
			"severity":          c.Severity.String(),
			"security-severity": securitySeverity(c.Severity),
			"frameworks":        nonNil(c.Frameworks),
			"tags":              []string{"security", strings.SplitN(c.ID, ".", 2)[0]},
		},
	}
}

// findingURI is the relative artifact URI of a finding's place.
func findingURI(f finding.Finding) string {
	u := "hosts/" + url.PathEscape(f.Host)
	if f.Port != 0 {
		u += fmt.Sprintf("/%s/%d", url.PathEscape(f.Transport), f.Port)
	}
	return u
}

// Write implements Writer.
func (SARIF) Write(w io.Writer, doc *result.Document) error {
	driver := sarifDriver{Name: "vigil", Version: strings.TrimSpace(strings.TrimPrefix(doc.Tool, "vigil")), Rules: []sarifRule{}}
	index := map[string]int{}
	for _, c := range check.All() {
		index[c.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, makeRule(c))
	}
	run := sarifRun{
		Tool:        sarifTool{Driver: driver},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true, ToolExecutionNotifications: gapNotifications(doc)}},
		Results:     []sarifResult{},
		Properties: map[string]any{
			"scan":        doc.ID,
			"targets":     nonNil(doc.Targets),
			"level":       doc.Level.Value,
			"levelName":   levelName(doc.Level.Value),
			"levelReason": doc.Level.Reason,
		},
	}
	if doc.Run != nil {
		// SARIF's root allows no other property: the run is the run's.
		run.Properties["run"] = doc.Run
	}
	if doc.ID != "" {
		category := "vigil"
		if doc.Label != "" {
			category += "/" + doc.Label
		}
		run.AutomationDetails = &sarifAutomation{ID: category + "/" + doc.ID}
	}
	if !doc.Started.IsZero() {
		run.Invocations[0].StartTimeUTC = doc.Started.UTC().Format("2006-01-02T15:04:05Z")
		run.Invocations[0].EndTimeUTC = doc.Finished.UTC().Format("2006-01-02T15:04:05Z")
	}
	cves := &cveTaxa{index: map[string]int{}}
	for _, f := range doc.Findings {
		i, ok := index[f.Check]
		if !ok {
			// A stored scan from another vigil version: describe the check
			// from the finding itself.
			i = len(run.Tool.Driver.Rules)
			index[f.Check] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, makeRule(check.Check{
				ID: f.Check, Severity: f.Severity, Title: f.Title, Rationale: f.Title,
				Fix: f.Recommendation, Frameworks: f.Frameworks}))
		}
		place := where(f)
		msg := fmt.Sprintf("%s on %s.", f.Title, place)
		if f.Evidence != "" {
			msg += " Evidence: " + clean(f.Evidence)
		}
		msg += "\nFix: " + clean(f.Recommendation)
		var supp []sarifSuppression
		if f.Accepted != nil {
			supp = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: clean(f.Accepted.String())}}
		}
		props := map[string]any{
			"findingId":      f.ID,
			"severity":       f.Severity.String(),
			"host":           f.Host,
			"port":           f.Port,
			"transport":      f.Transport,
			"evidence":       clean(f.Evidence),
			"recommendation": clean(f.Recommendation),
			"frameworks":     nonNil(f.Frameworks),
		}
		if len(f.Vulnerabilities) > 0 {
			props["tags"] = vulnTags(f.Vulnerabilities)
		}
		run.Results = append(run.Results, sarifResult{
			Suppressions: supp,
			Taxa:         cves.refs(f.Vulnerabilities),
			RuleID:       f.Check, RuleIndex: i, Level: sarifLevel(f.Severity),
			Message: sarifText{Text: msg},
			Locations: []sarifLocation{{
				PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: findingURI(f)}},
				LogicalLocations: []sarifLogical{{Name: place, FullyQualifiedName: place, Kind: "resource"}},
			}},
			PartialFingerprints: map[string]string{sarifFingerprint: f.ID},
			Properties:          props,
		})
	}
	run.Taxonomies = cves.taxonomies()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
