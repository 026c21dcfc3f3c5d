package datascan

import (
	_ "embed"
	"encoding/json"
	"io"
	"slices"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// SchemaID is the document's schema name.
const SchemaID = "vigil/data/v1"

// SchemaJSON is the JSON Schema (2020-12) of the vigil/data/v1 document.
//
//go:embed vigil-data-v1.schema.json
var SchemaJSON []byte

// Document is what `vigil data scan --format json` writes. Fields may be
// added; the contract's fields are never renamed or removed.
type Document struct {
	Schema   string                `json:"schema"`
	Run      DocumentRun           `json:"run"`
	Columns  []ColumnDoc           `json:"columns"`
	Files    []FileDoc             `json:"files"`
	Sources  []SourceDoc           `json:"sources"`
	Retain   []facts.DataRetention `json:"retention"`
	Findings []finding.Finding     `json:"findings"`
}

// DocumentRun is who ran the scan, when, with which map.
type DocumentRun struct {
	result.Run
	Started  string `json:"started"`
	Finished string `json:"finished"`
	Map      string `json:"map"`
}

// ColumnDoc is a column of the contract.
type ColumnDoc struct {
	Source     string   `json:"source"`
	Table      string   `json:"table"`
	Column     string   `json:"column"`
	Categories []string `json:"categories"`
	Confidence float64  `json:"confidence"`
	Rows       int64    `json:"rows"`
	Readers    []string `json:"readers"`
	Encrypted  string   `json:"encrypted,omitempty"`
	// ConsentMissing is -1 when the table has no consent rule.
	ConsentMissing int64 `json:"consent_missing"`
}

// FileDoc is a file of the contract; Count is the number of values found.
type FileDoc struct {
	Source     string   `json:"source"`
	Path       string   `json:"path"`
	Kind       string   `json:"kind"`
	Categories []string `json:"categories"`
	Confidence float64  `json:"confidence"`
	Count      int      `json:"count"`
}

// SourceDoc is a source as examined, without its columns and files.
type SourceDoc struct {
	Name         string         `json:"name"`
	Type         string         `json:"type"`
	Host         string         `json:"host"`
	Port         int            `json:"port"`
	Product      string         `json:"product,omitempty"`
	TLS          bool           `json:"tls"`
	TLSVerified  bool           `json:"tls_verified"`
	AtRest       string         `json:"at_rest,omitempty"`
	Applications []string       `json:"applications"`
	Purpose      string         `json:"purpose,omitempty"`
	Skipped      map[string]int `json:"skipped,omitempty"`
	Error        string         `json:"error,omitempty"`
}

// NewDocument builds the document of a scan.
func NewDocument(ds *facts.DataScan, fs []finding.Finding, run DocumentRun) *Document {
	d := &Document{Schema: SchemaID, Run: run, Columns: []ColumnDoc{}, Files: []FileDoc{}, Sources: []SourceDoc{},
		Retain: ds.Retention, Findings: fs}
	if d.Retain == nil {
		d.Retain = []facts.DataRetention{}
	}
	if d.Findings == nil {
		d.Findings = []finding.Finding{}
	}
	for _, s := range ds.Sources {
		apps := slices.Clone(s.Applications)
		if apps == nil {
			apps = []string{}
		}
		d.Sources = append(d.Sources, SourceDoc{Name: s.Name, Type: s.Type, Host: s.Host, Port: s.Port, Product: s.Product, TLS: s.TLS,
			TLSVerified: s.TLSVerified, AtRest: s.AtRest, Applications: apps, Purpose: s.Purpose, Skipped: s.Skipped, Error: s.Error})
		for _, c := range s.Columns {
			d.Columns = append(d.Columns, ColumnDoc{Source: s.Name, Table: c.Table, Column: c.Column, Categories: c.Categories,
				Confidence: round(c.Confidence), Rows: c.Rows, Readers: c.Readers, Encrypted: c.Encrypted, ConsentMissing: c.ConsentMissing})
		}
		for _, f := range s.Files {
			d.Files = append(d.Files, FileDoc{Source: s.Name, Path: f.Path, Kind: f.Kind, Categories: f.Categories, Confidence: round(f.Confidence), Count: f.Count})
		}
	}
	return d
}

func round(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

// WriteJSON writes the document, indented.
func (d *Document) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
