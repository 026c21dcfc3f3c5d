package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/result"
)

// TestGolden renders the fixture, and the scan with known-vulnerable
// software, in every text format and compares the result with
// testdata/*.golden (go test ./internal/report -update rewrites them). The
// PDF's goldens are its extracted text, in pdf_test.go and vuln_test.go.
func TestGolden(t *testing.T) {
	a := fixtureAssessment(t)
	tests := []struct {
		file string
		w    Writer
		doc  func() *result.Document
	}{
		{"table.golden", Table{}, fixture},
		{"json.golden", JSON{}, fixture},
		{"sarif.golden", SARIF{}, fixture},
		{"csv.golden", CSV{}, fixture},
		{"html.golden", HTML{}, fixture},
		{"html-hipaa.golden", HTML{Compliance: a}, fixture},
		{"table-vuln.golden", Table{}, vulnFixture},
		{"sarif-vuln.golden", SARIF{}, vulnFixture},
		{"csv-vuln.golden", CSV{}, vulnFixture},
		{"html-vuln.golden", HTML{}, vulnFixture},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out := render(t, tt.w, tt.doc())
			if !bytes.Equal(out, render(t, tt.w, tt.doc())) {
				t.Fatal("two renders of the same document differ")
			}
			golden(t, tt.file, out)
		})
	}
}

func TestFormatsRegistry(t *testing.T) {
	got := Formats()
	for _, want := range []string{"table", "json", "sarif", "csv", "html", "pdf"} {
		if !slices.Contains(got, want) {
			t.Errorf("format %s is not registered: %v", want, got)
		}
		if _, err := New(strings.ToUpper(want), Options{}); err != nil {
			t.Errorf("New(%s): %v", want, err)
		}
	}
}

// TestTableStartsWithTheLevel keeps the table's level line where people
// look first: right under the scan summary.
func TestTableStartsWithTheLevel(t *testing.T) {
	lines := strings.Split(string(render(t, Table{}, fixture())), "\n")
	if len(lines) < 4 || lines[3] != "Level 2 of 5 — weak. Fix these 3 findings to reach level 3." {
		t.Errorf("the table's fourth line is not the level:\n%s", strings.Join(lines[:min(6, len(lines))], "\n"))
	}
}

func TestLevelHeadline(t *testing.T) {
	doc := fixture()
	h, n := levelHeadline(doc.Level)
	if h != "Level 2 of 5 — weak." || n != "Fix these 3 findings to reach level 3." {
		t.Errorf("headline %q %q", h, n)
	}
	lv := doc.Level
	lv.Next = lv.Next[:1]
	if _, n := levelHeadline(lv); n != "Fix this finding to reach level 3." {
		t.Errorf("one next finding: %q", n)
	}
	lv.Value, lv.Next, lv.Reason = 4, nil, "no finding above low; level 5 also needs a host audit"
	if h, n := levelHeadline(lv); h != "Level 4 of 5 — solid." || n != "No finding above low; level 5 also needs a host audit." {
		t.Errorf("level 4: %q %q", h, n)
	}
}
