package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// sarifSchemaPath is where the official SARIF 2.1.0 schema (OASIS,
// sarif-schema-2.1.0.json) is looked for: $VIGIL_SARIF_SCHEMA, else the
// shared contracts beside the repository. It is not kept in this
// repository: it is OASIS's file, not ours.
func sarifSchemaPath() string {
	if p := os.Getenv("VIGIL_SARIF_SCHEMA"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "schema", "sarif-schema-2.1.0.json")
}

// sarifSchema compiles the official SARIF 2.1.0 schema with format
// assertions on, or skips when it is not provided.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path, err := filepath.Abs(sarifSchemaPath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("the official SARIF 2.1.0 schema is not available (%v): put sarif-schema-2.1.0.json in ../shared/schema/ or name it with VIGIL_SARIF_SCHEMA", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	schema := sarifSchema(t)
	empty := &result.Document{Schema: result.Schema, ID: "empty", Level: fixture().Level}
	stranger := fixture()
	stranger.Findings = append(stranger.Findings, finding.Finding{ID: "f00", Check: "future.check", Severity: finding.Info,
		Host: "::1", Port: 631, Transport: "tcp", Title: "From a newer vigil", Recommendation: "Upgrade vigil."})
	// Gaps become notifications, an accepted risk a suppression.
	noted := fixture()
	noted.NoteGap(result.Gap{What: "UDP was not probed"})
	noted.Hosts[0].NotExamined = []result.Gap{{Port: 21, Transport: "tcp", What: "ftp audit did not complete"}}
	noted.Findings[0].Accepted = &finding.Acceptance{By: "alice", Reason: "isolated lab analyser", Until: "2027-03-31"}
	// CVE taxa, and hostile ids and URLs that must not become taxa or
	// help URIs.
	docs := map[string]*result.Document{"fixture": fixture(), "empty": empty, "unknown check, IPv6": stranger, "gaps and acceptance": noted,
		"known vulnerabilities": vulnFixture(), "hostile vulnerabilities": hostileVulnDoc()}
	for name, doc := range docs {
		out := render(t, SARIF{}, doc)
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("%s: SARIF 2.1.0 schema violation: %v", name, err)
		}
	}

	// The schema accepts a great deal; check that it notices a broken log,
	// so the test above cannot pass by accident.
	if err := schema.Validate(map[string]any{"version": "2.1.0", "runs": []any{map[string]any{"results": []any{}}}}); err == nil {
		t.Error("the schema accepted a run without a tool")
	}
	// And that it reads vigil's own results: a level SARIF does not know
	// must be refused.
	var broken map[string]any
	if err := json.Unmarshal(render(t, SARIF{}, fixture()), &broken); err != nil {
		t.Fatal(err)
	}
	broken["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)["level"] = "severe"
	if err := schema.Validate(broken); err == nil {
		t.Error("the schema accepted a result with level \"severe\"")
	}
}

// sarifDoc is the part of a SARIF log the tests read back.
type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Rules   []struct {
					ID                   string `json:"id"`
					Name                 string `json:"name"`
					ShortDescription     struct{ Text string }
					FullDescription      struct{ Text string }
					Help                 struct{ Text string }
					DefaultConfiguration struct{ Level string }
					Properties           map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		AutomationDetails struct{ ID string } `json:"automationDetails"`
		Results           []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }
				}
				LogicalLocations []struct{ FullyQualifiedName, Kind string }
			}
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Properties          map[string]any    `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

func TestSARIFContent(t *testing.T) {
	doc := fixture()
	var s sarifDoc
	if err := json.Unmarshal(render(t, SARIF{}, doc), &s); err != nil {
		t.Fatal(err)
	}
	if s.Version != "2.1.0" || len(s.Runs) != 1 {
		t.Fatalf("version %q with %d runs", s.Version, len(s.Runs))
	}
	run := s.Runs[0]
	d := run.Tool.Driver
	if d.Name != "vigil" || d.Version != "0.4.0" {
		t.Errorf("driver %q %q", d.Name, d.Version)
	}
	if len(d.Rules) != len(check.All()) {
		t.Errorf("%d rules, want the %d catalogue checks", len(d.Rules), len(check.All()))
	}
	if run.AutomationDetails.ID != "vigil/clinic/"+doc.ID {
		t.Errorf("automationDetails.id %q", run.AutomationDetails.ID)
	}
	for _, r := range d.Rules {
		c, _ := check.Lookup(r.ID)
		if r.ShortDescription.Text != c.Title || r.FullDescription.Text != c.Rationale || !strings.Contains(r.Help.Text, c.Fix) {
			t.Errorf("rule %s does not carry the catalogue's title, rationale and fix", r.ID)
		}
		if r.Properties["severity"] != c.Severity.String() || r.Properties["security-severity"] == "" {
			t.Errorf("rule %s properties %v", r.ID, r.Properties)
		}
		if strings.ContainsAny(r.Name, ".- ") {
			t.Errorf("rule name %q is not an identifier", r.Name)
		}
	}
	if len(run.Results) != len(doc.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(doc.Findings))
	}
	for i, res := range run.Results {
		f := doc.Findings[i]
		if res.RuleID != f.Check || d.Rules[res.RuleIndex].ID != f.Check {
			t.Errorf("result %d: rule %s at index %d, want %s", i, res.RuleID, res.RuleIndex, f.Check)
		}
		if res.PartialFingerprints[sarifFingerprint] != f.ID {
			t.Errorf("result %d: fingerprints %v, want the finding ID %s", i, res.PartialFingerprints, f.ID)
		}
		if !strings.Contains(res.Message.Text, f.Title) || !strings.Contains(res.Message.Text, "Fix: ") {
			t.Errorf("result %d message %q lacks title or fix", i, res.Message.Text)
		}
		loc := res.Locations[0]
		if loc.PhysicalLocation.ArtifactLocation.URI == "" || strings.Contains(loc.PhysicalLocation.ArtifactLocation.URI, "://") {
			t.Errorf("result %d: artifact URI %q must be relative", i, loc.PhysicalLocation.ArtifactLocation.URI)
		}
		if loc.LogicalLocations[0].FullyQualifiedName != where(f) {
			t.Errorf("result %d: logical location %q, want %q", i, loc.LogicalLocations[0].FullyQualifiedName, where(f))
		}
	}
	// Spot checks: level mapping, the host-only finding, escaped evidence.
	byCheck := map[string]int{}
	for i, res := range run.Results {
		byCheck[res.RuleID] = i
	}
	tests := []struct {
		check, level, uri string
	}{
		{"ssh.cipher.weak", "error", "hosts/127.0.2.12/tcp/2222"},
		{"tls.cert.untrusted", "warning", "hosts/127.0.2.10/tcp/443"},
		{"tls.protocol.no-tls13", "note", "hosts/127.0.2.10/tcp/443"},
		{"firewall.none", "warning", "hosts/clinic-server"},
	}
	for _, tt := range tests {
		res := run.Results[byCheck[tt.check]]
		if res.Level != tt.level || res.Locations[0].PhysicalLocation.ArtifactLocation.URI != tt.uri {
			t.Errorf("%s: level %s uri %s, want %s %s", tt.check, res.Level, res.Locations[0].PhysicalLocation.ArtifactLocation.URI, tt.level, tt.uri)
		}
	}
	hostile := run.Results[byCheck["cleartext.http-auth"]]
	if strings.Contains(hostile.Message.Text, "\x1b") || !strings.Contains(hostile.Message.Text, `<script>alert("vigil")</script>\x1b[31m`) {
		t.Errorf("hostile evidence not escaped as visible text: %q", hostile.Message.Text)
	}
}

func TestSARIFLevels(t *testing.T) {
	tests := []struct {
		s     finding.Severity
		level string
		score string
	}{
		{finding.Critical, "error", "9.5"},
		{finding.High, "error", "8.0"},
		{finding.Medium, "warning", "5.5"},
		{finding.Low, "note", "3.0"},
		{finding.Info, "note", "0.0"},
	}
	for _, tt := range tests {
		if got := sarifLevel(tt.s); got != tt.level {
			t.Errorf("sarifLevel(%s) = %s, want %s", tt.s, got, tt.level)
		}
		if got := securitySeverity(tt.s); got != tt.score {
			t.Errorf("securitySeverity(%s) = %s, want %s", tt.s, got, tt.score)
		}
	}
	for id, want := range map[string]string{"tls.protocol.no-tls13": "TlsProtocolNoTls13", "auth.none.redis": "AuthNoneRedis", "vuln.known": "VulnKnown"} {
		if got := ruleName(id); got != want {
			t.Errorf("ruleName(%s) = %s, want %s", id, got, want)
		}
	}
}
