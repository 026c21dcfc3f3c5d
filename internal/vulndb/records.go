package vulndb

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Record is one vulnerability record as a source publishes it, reduced to
// what matching and reports need.
type Record struct {
	ID        string
	Source    string // "osv" or "nvd"
	Modified  time.Time
	Withdrawn bool
	Summary   string
	URL       string
	Aliases   []string
	// Score, Vector and ScoreVersion: the CVSS score the record carries,
	// chosen as chooseScore does.
	Score        float64
	Vector       string
	ScoreVersion string
	// Affected are an OSV record's ranges by ecosystem and package.
	Affected []Affected
	// CPEs are an NVD record's vulnerable application CPEs.
	CPEs []CPE
}

// Affected is one range of one package of an OSV record.
type Affected struct {
	Ecosystem, Package              string
	Introduced, Fixed, LastAffected string
	// Urgency is the distribution's rating, where it gives one (Debian's
	// "unimportant": no security fix planned, the build is not meaningfully
	// exposed).
	Urgency string
}

// CPE is one vulnerable application of an NVD record (see CPERange).
type CPE struct {
	Vendor, Product, Version               string
	StartIncl, StartExcl, EndIncl, EndExcl string
}

// KEVEntry is one entry of the CISA KEV catalogue.
type KEVEntry struct {
	CVE, Added, Name string
}

// EPSSScore is one CVE's EPSS score.
type EPSSScore struct {
	CVE               string
	Score, Percentile float64
}

// maxRecord caps one JSON record (an OSV or NVD record; a whole NVD API
// page or KEV catalogue is read with maxDocument).
const (
	maxRecord   = 8 << 20
	maxDocument = 256 << 20
	maxField    = 64 << 10
)

// osvRecord is the part of an OSV record (ossf.github.io/osv-schema) vigil
// reads.
type osvRecord struct {
	ID        string   `json:"id"`
	Modified  string   `json:"modified"`
	Withdrawn string   `json:"withdrawn"`
	Aliases   []string `json:"aliases"`
	Upstream  []string `json:"upstream"`
	Summary   string   `json:"summary"`
	Details   string   `json:"details"`
	Severity  []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		Versions          []string `json:"versions"`
		EcosystemSpecific struct {
			Urgency string `json:"urgency"`
		} `json:"ecosystem_specific"`
	} `json:"affected"`
	References []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"references"`
}

// ParseOSV reads one OSV record.
func ParseOSV(b []byte) (Record, error) {
	var o osvRecord
	if err := json.Unmarshal(b, &o); err != nil {
		return Record{}, fmt.Errorf("not an OSV record: %w", err)
	}
	if o.ID == "" || len(o.ID) > 256 {
		return Record{}, errors.New("not an OSV record: no id")
	}
	r := Record{ID: o.ID, Source: "osv", Withdrawn: o.Withdrawn != "", Summary: firstOf(o.Summary, o.Details)}
	r.Modified, _ = time.Parse(time.RFC3339, o.Modified)
	seen := map[string]bool{o.ID: true}
	for _, a := range append(o.Aliases, o.Upstream...) {
		if a != "" && len(a) <= 256 && !seen[a] {
			seen[a] = true
			r.Aliases = append(r.Aliases, a)
		}
	}
	for _, ref := range o.References {
		if ref.Type == "ADVISORY" || r.URL == "" {
			r.URL = ref.URL
			if ref.Type == "ADVISORY" {
				break
			}
		}
	}
	for _, s := range o.Severity {
		if v, vec, ok := cvssVector(s.Score); ok && r.ScoreVersion == "" {
			r.Vector, r.ScoreVersion = vec, v
		}
	}
	for _, a := range o.Affected {
		eco, pkg, urgency := a.Package.Ecosystem, a.Package.Name, clipTo(a.EcosystemSpecific.Urgency, 64)
		if eco == "" || pkg == "" {
			continue
		}
		for _, rg := range a.Ranges {
			if rg.Type == "GIT" {
				continue // commits, not versions
			}
			var open *Affected
			for _, ev := range rg.Events {
				switch {
				case ev["introduced"] != "":
					if open != nil {
						r.Affected = append(r.Affected, *open)
					}
					open = &Affected{Ecosystem: eco, Package: pkg, Introduced: ev["introduced"], Urgency: urgency}
				case ev["fixed"] != "" && open != nil:
					open.Fixed = ev["fixed"]
					r.Affected = append(r.Affected, *open)
					open = nil
				case ev["last_affected"] != "" && open != nil:
					open.LastAffected = ev["last_affected"]
					r.Affected = append(r.Affected, *open)
					open = nil
				}
			}
			if open != nil {
				r.Affected = append(r.Affected, *open)
			}
		}
		for _, v := range a.Versions {
			r.Affected = append(r.Affected, Affected{Ecosystem: eco, Package: pkg, Introduced: v, LastAffected: v, Urgency: urgency})
		}
	}
	return r, nil
}

// cvssVector recognises a CVSS vector string and its version.
func cvssVector(s string) (version, vector string, ok bool) {
	for _, v := range []string{"4.0", "3.1", "3.0"} {
		if strings.HasPrefix(s, "CVSS:"+v+"/") {
			return v, s, true
		}
	}
	return "", "", false
}

// nvdCVE is the part of an NVD CVE JSON 2.0 record vigil reads.
type nvdCVE struct {
	ID           string `json:"id"`
	LastModified string `json:"lastModified"`
	VulnStatus   string `json:"vulnStatus"`
	Descriptions []struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	} `json:"descriptions"`
	Metrics        map[string][]nvdMetric `json:"metrics"`
	Configurations []struct {
		Nodes []struct {
			Negate   bool `json:"negate"`
			CPEMatch []struct {
				Vulnerable            bool   `json:"vulnerable"`
				Criteria              string `json:"criteria"`
				VersionStartIncluding string `json:"versionStartIncluding"`
				VersionStartExcluding string `json:"versionStartExcluding"`
				VersionEndIncluding   string `json:"versionEndIncluding"`
				VersionEndExcluding   string `json:"versionEndExcluding"`
			} `json:"cpeMatch"`
		} `json:"nodes"`
	} `json:"configurations"`
}

// nvdMetric is one CVSS metric of an NVD record.
type nvdMetric struct {
	Source   string `json:"source"`
	Type     string `json:"type"` // Primary (NVD) or Secondary (a CNA)
	CVSSData struct {
		Version      string  `json:"version"`
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
	} `json:"cvssData"`
}

// ParseNVD reads one NVD CVE record: the object an API response holds
// under vulnerabilities[].cve, as a file of its own.
func ParseNVD(b []byte) (Record, error) {
	var c nvdCVE
	if err := json.Unmarshal(b, &c); err != nil {
		return Record{}, fmt.Errorf("not an NVD CVE record: %w", err)
	}
	return c.record()
}

// record reduces an NVD CVE to a Record.
func (c *nvdCVE) record() (Record, error) {
	if !strings.HasPrefix(c.ID, "CVE-") || len(c.ID) > 64 {
		return Record{}, fmt.Errorf("not an NVD CVE record: id %q", clip(c.ID))
	}
	r := Record{ID: c.ID, Source: "nvd", URL: "https://nvd.nist.gov/vuln/detail/" + c.ID,
		Withdrawn: strings.EqualFold(c.VulnStatus, "Rejected")}
	r.Modified = nvdTime(c.LastModified)
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			r.Summary = d.Value
			break
		}
	}
	r.Score, r.Vector, r.ScoreVersion = chooseScore(c.Metrics)
	seen := map[CPE]bool{}
	for _, cfg := range c.Configurations {
		for _, n := range cfg.Nodes {
			if n.Negate {
				continue
			}
			for _, m := range n.CPEMatch {
				if !m.Vulnerable {
					continue // context (the platform it runs on), not the vulnerable thing
				}
				part, vendor, product, version, update, ok := parseCPE(m.Criteria)
				if !ok || part != "a" {
					continue // an operating system or hardware is never matched to a service or package
				}
				// A range of "*:p2" up to 7.2 means up to 7.2p2: the update
				// qualifies the range's bounds as it would a version.
				bound := func(b string) string {
					if b != "" && update != "" {
						return b + update
					}
					return b
				}
				p := CPE{Vendor: vendor, Product: product, StartIncl: bound(m.VersionStartIncluding), StartExcl: bound(m.VersionStartExcluding),
					EndIncl: bound(m.VersionEndIncluding), EndExcl: bound(m.VersionEndExcluding)}
				if p.StartIncl == "" && p.StartExcl == "" && p.EndIncl == "" && p.EndExcl == "" {
					if version == "" {
						continue // "every version" with no range: too broad to claim
					}
					p.Version = version
				}
				if !seen[p] {
					seen[p] = true
					r.CPEs = append(r.CPEs, p)
				}
			}
		}
	}
	return r, nil
}

// nvdTime reads NVD's timestamps, which carry no zone ("2024-07-09T18:15:02.467").
func nvdTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// chooseScore picks the score vigil reports from an NVD record's metrics:
// CVSS v3.1 (NVD's own, else a CNA's), then v4.0, then v3.0, then v2.
func chooseScore(metrics map[string][]nvdMetric) (score float64, vector, version string) {
	for _, m := range []struct{ key, version string }{
		{"cvssMetricV31", "3.1"}, {"cvssMetricV40", "4.0"}, {"cvssMetricV30", "3.0"}, {"cvssMetricV2", "2.0"},
	} {
		ms := metrics[m.key]
		best := -1
		for i, x := range ms {
			if x.CVSSData.BaseScore <= 0 || x.CVSSData.BaseScore > 10 {
				continue
			}
			if best < 0 || (x.Type == "Primary" && ms[best].Type != "Primary") {
				best = i
			}
		}
		if best >= 0 {
			d := ms[best].CVSSData
			return d.BaseScore, d.VectorString, m.version
		}
	}
	return 0, "", ""
}

// parseCPE splits a CPE 2.3 formatted string into the fields vigil
// matches on. version joins the version and update fields as products
// announce them ("9.2" and "p1" make "9.2p1"; "" means any); update is
// the update field when the version is any ("*:p2"), else "".
func parseCPE(s string) (part, vendor, product, version, update string, ok bool) {
	f := splitCPE(s)
	if len(f) < 7 || f[0] != "cpe" || f[1] != "2.3" {
		return "", "", "", "", "", false
	}
	part, vendor, product = f[2], unescapeCPE(f[3]), unescapeCPE(f[4])
	if (part != "a" && part != "o" && part != "h") || vendor == "" || product == "" || vendor == "*" || product == "*" {
		return "", "", "", "", "", false
	}
	v, u := unescapeCPE(f[5]), unescapeCPE(f[6])
	if u == "*" || u == "-" {
		u = ""
	}
	if v == "*" || v == "-" {
		return part, vendor, product, "", u, true
	}
	return part, vendor, product, v + u, "", true
}

// splitCPE splits at colons that are not escaped.
func splitCPE(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ':':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unescapeCPE removes CPE 2.3 backslash escapes.
func unescapeCPE(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// kevCatalogue is the CISA KEV catalogue's JSON form.
type kevCatalogue struct {
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Vulnerabilities []struct {
		CVEID             string `json:"cveID"`
		DateAdded         string `json:"dateAdded"`
		VulnerabilityName string `json:"vulnerabilityName"`
	} `json:"vulnerabilities"`
}

// ParseKEV reads the CISA KEV catalogue (known_exploited_vulnerabilities.json)
// and returns its entries and release time.
func ParseKEV(b []byte) ([]KEVEntry, time.Time, error) {
	var k kevCatalogue
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, time.Time{}, fmt.Errorf("not the CISA KEV catalogue: %w", err)
	}
	if k.CatalogVersion == "" {
		return nil, time.Time{}, errors.New("not the CISA KEV catalogue: no catalogVersion")
	}
	released, _ := time.Parse(time.RFC3339, k.DateReleased)
	var out []KEVEntry
	for _, v := range k.Vulnerabilities {
		if !strings.HasPrefix(v.CVEID, "CVE-") || len(v.CVEID) > 64 {
			continue
		}
		if _, err := time.Parse("2006-01-02", v.DateAdded); err != nil {
			continue
		}
		out = append(out, KEVEntry{CVE: v.CVEID, Added: v.DateAdded, Name: clip(v.VulnerabilityName)})
		if released.IsZero() || released.Before(mustDay(v.DateAdded)) {
			released = mustDay(v.DateAdded)
		}
	}
	return out, released, nil
}

func mustDay(s string) time.Time {
	t, _ := time.Parse("2006-01-02", s)
	return t
}

// ParseEPSS reads FIRST's EPSS CSV: an optional first line
// "#model_version:…,score_date:…", a header "cve,epss,percentile" and a
// row per CVE. It calls put for each score and returns the score date.
func ParseEPSS(r io.Reader, put func(EPSSScore) error) (time.Time, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var date time.Time
	if b, err := br.Peek(1); err == nil && b[0] == '#' {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return date, err
		}
		for _, f := range strings.Split(strings.TrimSpace(line[1:]), ",") {
			if v, ok := strings.CutPrefix(f, "score_date:"); ok {
				date, _ = time.Parse(time.RFC3339, v)
			}
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return date, fmt.Errorf("not an EPSS file: %w", err)
	}
	if len(head) < 2 || head[0] != "cve" || head[1] != "epss" {
		return date, errors.New("not an EPSS file: the header is not cve,epss,percentile")
	}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return date, nil
		}
		if err != nil {
			return date, fmt.Errorf("EPSS file: %w", err)
		}
		if len(row) < 2 || !strings.HasPrefix(row[0], "CVE-") || len(row[0]) > 64 {
			continue
		}
		s := EPSSScore{CVE: row[0]}
		if s.Score, err = strconv.ParseFloat(row[1], 64); err != nil || s.Score < 0 || s.Score > 1 {
			continue
		}
		if len(row) > 2 {
			if p, err := strconv.ParseFloat(row[2], 64); err == nil && p >= 0 && p <= 1 {
				s.Percentile = p
			}
		}
		if err := put(s); err != nil {
			return date, err
		}
	}
}

// firstOf returns the first of its arguments that is not empty, clipped.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return clip(s)
		}
	}
	return ""
}

// clip caps a text field from a source.
func clip(s string) string { return clipTo(s, maxField) }

// clipTo caps s at n bytes.
func clipTo(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// looksLike says which format a JSON document is, from its top-level keys.
func looksLike(b []byte) string {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return ""
	}
	_, vulns := top["vulnerabilities"]
	switch {
	case vulns && top["catalogVersion"] != nil:
		return "kev"
	case vulns && (top["format"] != nil || top["resultsPerPage"] != nil || top["totalResults"] != nil):
		return "nvd-api"
	case top["cve"] != nil && top["id"] == nil:
		return "nvd-item"
	case top["id"] != nil && (top["affected"] != nil || top["schema_version"] != nil || top["modified"] != nil) && top["vulnStatus"] == nil:
		return "osv"
	case top["id"] != nil && (top["vulnStatus"] != nil || top["configurations"] != nil || top["descriptions"] != nil):
		return "nvd"
	}
	return ""
}

// isJSONObject reports whether b starts, after blanks, with '{'.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n\xef\xbb\xbf")
	return len(b) > 0 && b[0] == '{'
}
