package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/finding"
)

// TestVulnKnownInEveryFormat: each format shows a vuln.known finding's
// package and its vulnerabilities, worst first, with their scores, KEV
// dates, EPSS, fixed versions and the distribution's rating.
func TestVulnKnownInEveryFormat(t *testing.T) {
	tests := []struct {
		format string
		want   []string
	}{
		{"table", []string{
			"CRITICAL 2222/tcp  vuln.known  openssh 9.2p1-2+deb12u1 has 3 known vulnerabilities\n" +
				"                     Package openssh 9.2p1-2+deb12u1 (Debian:12, from banner)\n" +
				"                     CVE-2023-51385  CVSS 9.8, EPSS 19.75%, fixed in 1:9.2p1-2+deb12u2\n" +
				"                     CVE-2024-6387   CVSS 8.1, EPSS 99.51%, fixed in 1:9.2p1-2+deb12u3\n" +
				"                     CVE-2023-48795  unscored, EPSS 93.31%, fixed in 1:9.2p1-2+deb12u2\n" +
				"                     Evidence: ",
			"                     Package Apache httpd 2.4.49 (upstream, from banner)\n" +
				"                     CVE-2021-42013  CVSS 9.8, KEV since 2021-11-03, EPSS 99.96%, fixed in 2.4.51\n" +
				"                     CVE-2021-41773  CVSS 7.5, KEV since 2021-11-03, EPSS 99.99%, fixed in 2.4.50\n",
			"                     Package nginx 1.22.1-9 (Debian:12, from package database)\n" +
				"                     CVE-2025-23419  unscored, fixed in 1.22.1-9+deb12u1\n" +
				"                     CVE-2023-44487  CVSS 7.5, KEV since 2023-10-10, EPSS >99.99%, unimportant for the distribution\n",
		}},
		{"html", []string{
			`<dt>Package</dt><dd class="break">openssh 9.2p1-2&#43;deb12u1 (Debian:12, from banner)</dd>`,
			`<caption>Known vulnerabilities, worst first · <span class="kev-tag">KEV</span> CISA lists it as exploited in the wild</caption>`,
			`<tr class="kev">
      <td class="mono"><a href="https://nvd.nist.gov/vuln/detail/CVE-2021-42013" rel="noopener noreferrer">CVE-2021-42013</a></td>
      <td data-label="CVSS" title="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H">9.8</td>
      <td data-label="EPSS">99.96%</td>
      <td data-label="Fixed in"><span class="mono">2.4.51</span></td>
      <td><span class="kev-tag">KEV since 2021-11-03</span> </td>`,
			`<td data-label="CVSS"><span class="muted">unscored</span></td>`,
			`<td data-label="Fixed in"><span class="mono">1:9.2p1-2&#43;deb12u3</span></td>`,
			`<td data-label="Fixed in"><span class="muted">none known</span></td>
      <td><span class="kev-tag">KEV since 2023-10-10</span> unimportant for the distribution</td>`,
		}},
		{"pdf", []string{
			"openssh 9.2p1-2+deb12u1 (Debian:12, from banner)",
			"Vulnerabilities CVE-2023-51385 CVSS 9.8, EPSS 19.75%, fixed in 1:9.2p1-2+deb12u2 CVE-2024-6387 CVSS 8.1, EPSS 99.51%, fixed in 1:9.2p1-2+deb12u3",
			"CVE-2021-42013 CVSS 9.8, KEV since 2021-11-03, EPSS 99.96%, fixed in 2.4.51",
			"CVE-2023-44487 CVSS 7.5, KEV since 2023-10-10, EPSS >99.99%, unimportant for the distribution",
			"Package nginx 1.22.1-9 (Debian:12, from package database)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			w, err := New(tt.format, Options{})
			if err != nil {
				t.Fatal(err)
			}
			out := string(render(t, w, vulnFixture()))
			if tt.format == "pdf" {
				out = oneLine(pdfText(t, []byte(out)))
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("%s lacks\n%s", tt.format, want)
				}
			}
			if t.Failed() && tt.format != "html" {
				t.Logf("the %s output:\n%s", tt.format, out)
			}
		})
	}
}

// TestVulnListing: the table lists at most ten vulnerabilities, worst
// first, then says how many more, and so does the PDF; --brief stays one
// line per finding and names the worst; colours are for terminals only.
func TestVulnListing(t *testing.T) {
	doc := vulnFixture()
	f := &doc.Findings[0]
	vs := manyVulns(12)
	slices.Reverse(vs) // the listing sorts them, whatever order they come in
	f.Vulnerabilities = vs
	tests := []struct {
		name    string
		table   Table
		want    []string
		notWant []string
	}{
		{"full", Table{}, []string{
			"                     CVE-2024-1000  CVSS 9.9, fixed in 1.2.3-1\n",
			"                     CVE-2024-1009  CVSS 9.0, fixed in 1.2.3-1\n" +
				"                     … and 2 more (see JSON/HTML)\n" +
				"                     Evidence: ",
		}, []string{"CVE-2024-1010", "CVE-2024-1011", "\x1b["}},
		{"coloured", Table{Color: true}, []string{
			"                     " + bgRed + bold + "CVE-2024-1000" + reset + "  CVSS 9.9, fixed in 1.2.3-1\n",
			"                     " + bgRed + bold + "CVE-2021-42013" + reset + "  CVSS 9.8, KEV since 2021-11-03",
			"                     " + dim + "CVE-2023-44487" + reset + "  CVSS 7.5, KEV since 2023-10-10",
		}, nil},
		{"brief", Table{Brief: true}, []string{
			"  vuln.known  openssh 9.2p1-2+deb12u1 has 3 known vulnerabilities; worst CVE-2024-1000 (CVSS 9.9, fixed in 1.2.3-1)  ",
			"  vuln.known  Apache httpd 2.4.49 has 2 known vulnerabilities, 2 exploited in the wild; worst CVE-2021-42013 (CVSS 9.8, KEV since 2021-11-03, EPSS 99.96%, fixed in 2.4.51)  ",
			"  vuln.known  nginx 1.22.1-9 has 2 known vulnerabilities, 1 exploited in the wild; worst CVE-2025-23419 (unscored, fixed in 1.22.1-9+deb12u1)  ",
		}, []string{"Package ", "CVE-2024-1001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render(t, tt.table, doc))
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("the table lacks\n%q\n--- in:\n%s", want, out)
				}
			}
			for _, bad := range tt.notWant {
				if strings.Contains(out, bad) {
					t.Errorf("the table holds %q:\n%s", bad, out)
				}
			}
			if tt.table.Brief {
				var lines int
				for _, l := range strings.Split(out, "\n") {
					if strings.Contains(l, "vuln.known") {
						lines++
					}
				}
				if lines != len(doc.Findings) {
					t.Errorf("--brief wrote %d lines for %d findings:\n%s", lines, len(doc.Findings), out)
				}
			}
		})
	}
	text := oneLine(pdfText(t, render(t, PDF{}, doc)))
	if !strings.Contains(text, "CVE-2024-1009 CVSS 9.0, fixed in 1.2.3-1 … and 2 more (see JSON/HTML)") || strings.Contains(text, "CVE-2024-1010") {
		t.Errorf("the PDF does not cut the list after ten:\n%s", text)
	}
}

func TestCSVVulnColumns(t *testing.T) {
	rows, err := csv.NewReader(bytes.NewReader(render(t, CSV{}, vulnFixture()))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	if got := strings.Join(head[len(head)-5:], ","); got != "package,package_version,vulnerabilities,kev,max_cvss" {
		t.Fatalf("the last columns are %s", got)
	}
	col := func(row []string, name string) string { return row[slices.Index(head, name)] }
	tests := []struct {
		host, pkg, version, vulns, kev, score string
	}{
		{"127.0.2.12", "openssh", "9.2p1-2+deb12u1", "CVE-2023-51385 CVE-2024-6387 CVE-2023-48795", "", "9.8"},
		{"127.0.2.15", "Apache httpd", "2.4.49", "CVE-2021-42013 CVE-2021-41773", "CVE-2021-42013 CVE-2021-41773", "9.8"},
		{"clinic-server", "nginx", "1.22.1-9", "CVE-2025-23419 CVE-2023-44487", "CVE-2023-44487", "7.5"},
	}
	for _, tt := range tests {
		i := slices.IndexFunc(rows, func(r []string) bool { return r[1] == tt.host })
		if i < 0 {
			t.Fatalf("no row for %s", tt.host)
		}
		r := rows[i]
		got := []string{col(r, "package"), col(r, "package_version"), col(r, "vulnerabilities"), col(r, "kev"), col(r, "max_cvss")}
		if want := []string{tt.pkg, tt.version, tt.vulns, tt.kev, tt.score}; !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", tt.host, got, want)
		}
	}
	// A finding without a package leaves the columns empty.
	rows, _ = csv.NewReader(bytes.NewReader(render(t, CSV{}, fixture()))).ReadAll()
	for _, r := range rows[1:] {
		if strings.Join(r[len(r)-5:], "") != "" {
			t.Errorf("a finding without vulnerabilities has %q", r[len(r)-5:])
		}
	}
}

func TestSARIFCarriesCVEsAsTaxa(t *testing.T) {
	doc := vulnFixture()
	var log struct {
		Runs []struct {
			Taxonomies []struct {
				Name, GUID string
				Taxa       []struct{ ID, HelpURI string }
			}
			Results []struct {
				RuleID string
				Taxa   []struct {
					ID            string
					Index         int
					ToolComponent struct{ Name, GUID string }
				}
				Properties struct{ Tags []string }
			}
		}
	}
	if err := json.Unmarshal(render(t, SARIF{}, doc), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Taxonomies) != 1 || run.Taxonomies[0].Name != "CVE" || run.Taxonomies[0].GUID != cveTaxonomyGUID {
		t.Fatalf("taxonomies %+v", run.Taxonomies)
	}
	taxa := run.Taxonomies[0].Taxa
	var ids []string
	for _, x := range taxa {
		ids = append(ids, x.ID)
	}
	want := []string{"CVE-2023-51385", "CVE-2024-6387", "CVE-2023-48795", "CVE-2021-42013", "CVE-2021-41773", "CVE-2025-23419", "CVE-2023-44487"}
	if !slices.Equal(ids, want) {
		t.Errorf("taxa %v, want %v", ids, want)
	}
	if taxa[3].HelpURI != "https://nvd.nist.gov/vuln/detail/CVE-2021-42013" {
		t.Errorf("helpUri %q", taxa[3].HelpURI)
	}
	for i, res := range run.Results {
		f := doc.Findings[i]
		var refs []string
		for _, ref := range res.Taxa {
			refs = append(refs, ref.ID)
			if taxa[ref.Index].ID != ref.ID || ref.ToolComponent.Name != "CVE" || ref.ToolComponent.GUID != cveTaxonomyGUID {
				t.Errorf("result %d: reference %+v does not find its taxon", i, ref)
			}
		}
		ids, _, _ := vulnIDs(f.Vulnerabilities)
		if !slices.Equal(refs, ids) || !slices.Equal(res.Properties.Tags, ids) {
			t.Errorf("result %d (%s): taxa %v, tags %v, want %v", i, res.RuleID, refs, res.Properties.Tags, ids)
		}
	}
	// A scan without vuln.known findings has no taxonomy and no taxa.
	plain := render(t, SARIF{}, fixture())
	if bytes.Contains(plain, []byte(`"taxonomies"`)) || bytes.Contains(plain, []byte(`"taxa"`)) || bytes.Contains(plain, []byte(`"tags": [`+"\n            \"CVE")) {
		t.Error("a scan without vulnerabilities has CVE taxa")
	}
}

// TestVulnJSONValidatesAgainstTheSchema: the document with package and
// vulnerabilities is a valid vigil/scan/v1 document, formats included.
func TestVulnJSONValidatesAgainstTheSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile(filepath.Join("..", "..", "docs", "schema", "vigil-scan-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, JSON{}, vulnFixture())))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(v); err != nil {
		t.Error(err)
	}
}

// TestHostileVulnFields: ids, versions, URLs and package names from a
// database are data: no terminal escape reaches a terminal, no markup or
// javascript: URL becomes live in HTML, SARIF and CSV stay inert.
func TestHostileVulnFields(t *testing.T) {
	rawControl := regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f]")
	tests := []struct {
		format string
		check  func(t *testing.T, out []byte)
	}{
		{"table", func(t *testing.T, out []byte) {
			s := string(out)
			if rawControl.MatchString(s) {
				t.Errorf("a raw control character reached the table:\n%q", s)
			}
			s = oneLine(s)
			for _, want := range []string{`Package \x1b[2J<script>alert('pkg')</script> =HYPERLINK("http://evil.example") (<b>Debian</b>\x1b[31m, from <i>banner</i>)`,
				`CVE-2024-0001\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07`, `KEV since \x1b[5m2024-01-01`} {
				if !strings.Contains(s, want) {
					t.Errorf("the table does not show %q as text:\n%s", want, s)
				}
			}
		}},
		{"html", func(t *testing.T, out []byte) {
			s := string(out)
			low := strings.ToLower(s)
			if strings.Contains(low, "<script") || strings.Contains(low, "<img") || strings.Contains(low, "<b>debian") {
				t.Errorf("hostile markup became live HTML")
			}
			if rawControl.MatchString(s) {
				t.Error("a raw control character reached the HTML")
			}
			for _, m := range regexp.MustCompile(`(?i)href\s*=\s*"([^"]*)"`).FindAllStringSubmatch(s, -1) {
				if !strings.HasPrefix(m[1], "#") && !strings.HasPrefix(m[1], "https://") && !strings.HasPrefix(m[1], "http://") {
					t.Errorf("link to %q", m[1])
				}
			}
			for _, want := range []string{
				`CVE-2024-0001\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 <span class="muted break">javascript:alert(document.domain)</span>`,
				`<a href="https://evil.example/%22%3E%3Cscript%3Ealert%28%27url%27%29%3C/script%3E" rel="noopener noreferrer">&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;</a>`,
				`data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;`,
				`&lt;img src=x onerror=alert(1)&gt;`,
			} {
				if !strings.Contains(s, want) {
					t.Errorf("the HTML lacks %s", want)
				}
			}
		}},
		{"sarif", func(t *testing.T, out []byte) {
			var v any
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatal(err)
			}
			walkStrings(v, func(s string) {
				if rawControl.MatchString(s) || strings.HasPrefix(s, "javascript:") || strings.HasPrefix(s, "data:") {
					t.Errorf("SARIF holds %q", s)
				}
			})
			var log struct {
				Runs []struct {
					Taxonomies []struct{ Taxa []struct{ ID string } }
					Results    []struct{ Properties struct{ Tags []string } }
				}
			}
			_ = json.Unmarshal(out, &log)
			taxa := log.Runs[0].Taxonomies[0].Taxa
			if taxa[0].ID != "CVE-2024-6387" {
				t.Errorf("the first finding's one well-formed CVE id is not the first taxon: %v", taxa)
			}
			for _, x := range taxa {
				if !cveID.MatchString(x.ID) {
					t.Errorf("taxon %q is not a CVE id", x.ID)
				}
			}
			if tags := log.Runs[0].Results[0].Properties.Tags; !slices.Contains(tags, `CVE-2024-0001\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07`) {
				t.Errorf("tags %q", tags)
			}
		}},
		{"csv", func(t *testing.T, out []byte) {
			rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows[1:] {
				for j, cell := range r {
					if formulaStart(cell) || rawControl.MatchString(cell) {
						t.Errorf("column %s: %q", rows[0][j], cell)
					}
				}
			}
			r := rows[1]
			if got := r[slices.Index(rows[0], "package_version")]; got != `'=HYPERLINK("http://evil.example")` {
				t.Errorf("package_version %q", got)
			}
			if got := r[slices.Index(rows[0], "vulnerabilities")]; !strings.HasPrefix(got, `CVE-2024-0001\x1b]8;;`) {
				t.Errorf("vulnerabilities %q", got)
			}
		}},
		{"pdf", func(t *testing.T, out []byte) {
			text := pdfText(t, out)
			if rawControl.MatchString(strings.ReplaceAll(text, "\f", "")) {
				t.Error("a raw control character reached the PDF's text")
			}
			if !strings.Contains(oneLine(text), `CVE-2024-0001\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07`) {
				t.Errorf("the PDF does not show the hostile id as text:\n%s", text)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			w, err := New(tt.format, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, render(t, w, hostileVulnDoc()))
		})
	}
}

// walkStrings calls fn with every string in a decoded JSON value.
func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case map[string]any:
		for k, e := range x {
			fn(k)
			walkStrings(e, fn)
		}
	}
}

// TestComplianceNamesTheWorstVulnerability: in the HIPAA evidence, a
// vuln.known finding reads as its title and its worst vulnerability.
func TestComplianceNamesTheWorstVulnerability(t *testing.T) {
	doc := vulnFixture()
	a, err := compliance.Assess(compliance.HIPAA, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	const want = "Apache httpd 2.4.49 has 2 known vulnerabilities, 2 exploited in the wild; worst CVE-2021-42013 (CVSS 9.8, KEV since 2021-11-03, EPSS 99.96%, fixed in 2.4.51)"
	html := string(render(t, HTML{Compliance: a}, doc))
	if !strings.Contains(html, `">`+want+`</a> — 127.0.2.15:80/tcp`) {
		t.Errorf("the HTML compliance table lacks %q", want)
	}
	if text := oneLine(pdfText(t, render(t, PDF{Compliance: a}, doc))); !strings.Contains(text, want+" — 127.0.2.15:80/tcp") {
		t.Errorf("the PDF compliance section lacks %q:\n%s", want, text)
	}
}

// TestPDFVulnGolden keeps the PDF's text of the scan with known-vulnerable
// software in testdata/pdf-text-vuln.golden, checks its hyphens, and leaves
// the PDF as report-vuln.pdf in the output directory.
func TestPDFVulnGolden(t *testing.T) {
	pdf := render(t, PDF{}, vulnFixture())
	if err := os.WriteFile(filepath.Join(outDir(t), "report-vuln.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf, "-layout")
	golden(t, "pdf-text-vuln.golden", []byte(text))
	for _, r := range []rune{'\u2010', '\u2011', '\u00ad', '\u2212'} {
		if strings.ContainsRune(text, r) {
			t.Errorf("the PDF's text holds %U where a hyphen was written", r)
		}
	}
	if !strings.Contains(text, "1:9.2p1-2+deb12u3") {
		t.Error("the fixed version lost its hyphen")
	}
}

func TestHTTPURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://nvd.nist.gov/vuln/detail/CVE-2024-6387", "https://nvd.nist.gov/vuln/detail/CVE-2024-6387"},
		{"HTTP://security-tracker.debian.org/tracker/CVE-2024-6387", "http://security-tracker.debian.org/tracker/CVE-2024-6387"},
		{`https://x.example/"><script>`, "https://x.example/%22%3E%3Cscript%3E"},
		{"javascript:alert(1)", ""},
		{"JavaScript://x.example/%0aalert(1)", ""},
		{"data:text/html,<b>", ""},
		{"//x.example/path", ""},
		{"https:///nohost", ""},
		{"https://x.example/\x1b[31m", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := httpURL(tt.in); got != tt.want {
			t.Errorf("httpURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPackageLine(t *testing.T) {
	tests := []struct {
		p    finding.Package
		want string
	}{
		{finding.Package{Name: "openssh", Version: "1:9.2p1-2+deb12u2", Source: "openssh", Ecosystem: "Debian:12", From: "package-db"},
			"openssh 1:9.2p1-2+deb12u2 (Debian:12, from package database)"},
		{finding.Package{Name: "Apache httpd", Version: "2.4.49", Ecosystem: "upstream", From: "banner"}, "Apache httpd 2.4.49 (upstream, from banner)"},
		{finding.Package{Name: "libssl3", Version: "3.0.15-1~deb12u1", Source: "openssl", Ecosystem: "Debian:12"},
			"libssl3 3.0.15-1~deb12u1 (source package openssl, Debian:12)"},
		{finding.Package{Name: "redis", Version: "7.0.15"}, "redis 7.0.15"},
	}
	for _, tt := range tests {
		if got := packageLine(&tt.p); got != tt.want {
			t.Errorf("packageLine(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}
