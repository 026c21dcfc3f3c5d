package pii

import (
	"slices"
	"testing"
	"time"
)

// TestHoldoutColumns classifies columns written by hand in forms the
// generator does not produce (other separators, orders, exports of other
// systems), and non-personal columns that look like identifiers. It guards
// against classifiers that fit only the generator.
func TestHoldoutColumns(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		column  string
		samples []string
		want    []Category
	}{
		{"PHONE_NO", []string{"0033 6 12 34 56 78", "+1 (415) 555-0199", "07700 900461", "+49 (0)30 901820", "555.867.5309"}, []Category{Phone}},
		{"Birth Date", []string{"3/7/1962", "12-Mar-1984", "1999-1-5", "24.12.1975", "1948-02-29"}, []Category{Birthdate}},
		{"Patient", []string{"MILLER, SARAH", "dupont, jean", "O'Brien, Sean", "Schmidt-Weber, Anna", "Garcia Lopez, Maria"}, []Category{Name}},
		{"EMAIL", []string{"SARAH.MILLER@EXAMPLE.ORG", "j.dupont+rdv@example.fr", "anna@sub.example.de"}, []Category{Email}},
		{"IBAN", []string{"fr76 3000 6000 0112 3456 7890 189", "NL91ABNA0417164300", "BE68 5390 0754 7034"}, []Category{IBAN}},
		{"icd", []string{"e11.9", "I10", "Z00.00", "F32.A", "M54.5"}, []Category{Diagnosis}},
		{"client", []string{"::ffff:192.0.2.1", "2001:db8:0:0:0:0:2:1", "198.51.100.7"}, []Category{IPAddress}},
		// Non-personal look-alikes.
		{"ean", []string{"4006381333931", "4012345678901", "5901234123457", "4007817327320", "4311501486236"}, nil},
		{"isbn", []string{"9780306406157", "9781861972712", "9780141036144"}, nil},
		{"zip", []string{"75011", "10115", "SW1A 2AA", "62704", "20095"}, nil},
		{"mac", []string{"00:1a:2b:3c:4d:5e", "a4:5e:60:c2:11:0f", "3c:22:fb:01:02:03"}, nil},
		{"duration", []string{"10:30:00", "01:02:03", "00:45:12"}, nil},
		{"lat", []string{"48.8566", "51.5072", "-33.8688", "40.7128"}, nil},
		{"sha1", []string{"da39a3ee5e6b4b0d3255bfef95601890afd80709", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"}, nil},
		{"version", []string{"10.0.19045.3803", "6.1.0-17-amd64", "1.26.8"}, nil},
		{"order_id", []string{"100234", "100235", "100236", "100237"}, nil},
		{"created", []string{"2025-11-03T09:12:44Z", "2025-11-04 10:00:00", "2025-11-05T11:30:00+01:00"}, nil},
		{"path", []string{"/srv/share/2024/report.pdf", "C:\\Users\\Public\\scan.tif"}, nil},
		{"status", []string{"active", "inactive", "pending", "closed"}, nil},
	}
	for _, tt := range tests {
		got := categories(classifyColumn(tt.column, tt.samples, now))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %q: got %v, want %v", tt.column, tt.samples, got, tt.want)
		}
	}
}
