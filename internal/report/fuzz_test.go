package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// hrefs finds the links of an HTML page.
var hrefs = regexp.MustCompile(`(?i)href\s*=\s*"([^"]*)"`)

// FuzzRenderers puts arbitrary server-controlled text (a banner, evidence, a
// product name, even a host name, a package and a vulnerability's id and
// URL) into a scan and renders it in every format: nothing may fail, no
// markup may become live in HTML nor link anywhere but http and https, no
// control character may reach any output raw, and CSV cells stay inert.
func FuzzRenderers(f *testing.F) {
	for _, seed := range []string{hostileBanner, hostileHTML, hostileCSV, "", " ", "\n\n", "\xff\xfe\x00",
		"\u202e\u2066evil", "漢字😀", strings.Repeat("W", 400), "</style><script>x</script>", "-\t@\r="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc := &result.Document{Schema: result.Schema, ID: "fuzz", Started: scanStart, Finished: scanEnd,
			Targets: []string{s}, Label: s,
			Hosts: []result.Host{{Address: "127.0.2.30", Names: []string{s}, Level: 2,
				Services: []facts.Service{{Port: 80, Transport: "tcp", Name: s, Product: s, Version: s, Banner: s}}}},
			Findings: []finding.Finding{{ID: "f1", Check: "cleartext.http-auth", Severity: finding.High, Host: "127.0.2.30", Port: 80,
				Transport: "tcp", Title: s, Evidence: s, Recommendation: s, Frameworks: []string{s},
				Package:         &finding.Package{Name: s, Version: s, Source: s, Ecosystem: s, From: s},
				Vulnerabilities: []finding.Vulnerability{{ID: s, KEV: true, KEVAdded: s, Fixed: s, URL: s, Urgency: s}, {ID: "CVE-2024-6387", URL: s}}},
				{ID: "f2", Check: s, Severity: finding.Low, Host: s, Title: s, Evidence: s, Recommendation: s}}}
		doc.Level.Value, doc.Level.Next, doc.Level.Reason = 2, []string{"f1"}, s

		for _, w := range []Writer{HTML{}, CSV{}, SARIF{}, PDF{}} {
			var buf bytes.Buffer
			if err := w.Write(&buf, doc); err != nil {
				t.Fatalf("%T: %v", w, err)
			}
			out := buf.Bytes()
			switch w.(type) {
			case HTML:
				if bytes.Contains(bytes.ToLower(out), []byte("<script")) {
					t.Fatalf("HTML holds a script tag for input %q", s)
				}
				if bytes.ContainsFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) {
					t.Fatalf("HTML holds a raw control character for input %q", s)
				}
				for _, m := range hrefs.FindAllSubmatch(out, -1) {
					if u := string(m[1]); !strings.HasPrefix(u, "#") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
						t.Fatalf("HTML links to %q for input %q", u, s)
					}
				}
			case CSV:
				rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
				if err != nil || len(rows) != 3 {
					t.Fatalf("CSV does not read back as 3 rows (%v) for input %q", err, s)
				}
				for _, row := range rows[1:] {
					for _, cell := range row {
						if formulaStart(cell) {
							t.Fatalf("CSV cell %q starts a formula", cell)
						}
					}
				}
			case SARIF:
				if !json.Valid(out) {
					t.Fatalf("SARIF is not JSON for input %q", s)
				}
			case PDF:
				if !bytes.HasPrefix(out, []byte("%PDF-")) {
					t.Fatal("not a PDF")
				}
			}
		}
	})
}
