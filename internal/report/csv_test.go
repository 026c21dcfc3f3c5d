package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

func TestCSVCellGuardsFormulas(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\t=1", "'\\x09=1"}, // the tab becomes visible and the cell is quoted
		{"\r=1", "'\\x0d=1"},
		{"plain text", "plain text"},
		{"a=b", "a=b"},
		{"", ""},
		{"red \x1b[31m", `red \x1b[31m`},
		{"line one\nline two", "line one\nline two"},
	}
	for _, tt := range tests {
		if got := csvCell(tt.in); got != tt.want {
			t.Errorf("csvCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCSVRows(t *testing.T) {
	doc := fixture()
	out := render(t, CSV{}, doc)
	if !bytes.Contains(out, []byte("\r\n")) {
		t.Error("rows do not end in CRLF (RFC 4180)")
	}
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v", err)
	}
	if len(rows) != len(doc.Findings)+1 {
		t.Fatalf("%d rows for %d findings and a header", len(rows), len(doc.Findings))
	}
	if strings.Join(rows[0], ",") != "scan,host,port,transport,severity,check,title,evidence,recommendation,frameworks,finding,accepted_until,accepted_by,accepted_reason,package,package_version,vulnerabilities,kev,max_cvss" {
		t.Errorf("header %v", rows[0])
	}
	for i, row := range rows[1:] {
		f := doc.Findings[i]
		if row[0] != doc.ID || row[1] != f.Host || row[5] != f.Check || row[10] != f.ID || row[4] != f.Severity.String() {
			t.Errorf("row %d = %v does not match finding %s", i+1, row, f.ID)
		}
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d column %s starts with a formula character: %q", i+1, rows[0][j], cell)
			}
			if strings.ContainsAny(cell, "\x1b\x07") {
				t.Errorf("row %d column %s holds a raw control character: %q", i+1, rows[0][j], cell)
			}
		}
	}
	// The multi-line fix that starts with "--" keeps its lines, guarded.
	var ftp []string
	for _, row := range rows[1:] {
		if row[5] == "cleartext.ftp" {
			ftp = row
		}
	}
	if ftp == nil || !strings.HasPrefix(ftp[8], "'-- In /etc/vsftpd.conf") || !strings.Contains(ftp[8], "\nssl_enable=YES\n") {
		t.Errorf("ftp recommendation cell: %q", ftp)
	}

	// A finding whose host or title looks like a formula.
	evil := &result.Document{ID: "=HYPERLINK(\"http://x\")", Findings: []finding.Finding{{ID: "1", Check: "x", Severity: finding.High,
		Host: "@evil", Title: "+title", Evidence: hostileCSV, Recommendation: "-fix"}}}
	rows, err = csv.NewReader(bytes.NewReader(render(t, CSV{}, evil))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for j, want := range map[int]string{0: `'=HYPERLINK("http://x")`, 1: "'@evil", 6: "'+title", 7: "'" + hostileCSV, 8: "'-fix"} {
		if rows[1][j] != want {
			t.Errorf("column %s = %q, want %q", rows[0][j], rows[1][j], want)
		}
	}
}
