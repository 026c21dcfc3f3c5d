package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/certify"
)

func TestErasureCertificatePDF(t *testing.T) {
	tests := []struct {
		name string
		cert certify.Certificate
		want []string
	}{
		{"complete", certify.Certificate{
			ID: "0a1b2c3d4e5f6071", Issued: time.Date(2026, 12, 7, 22, 30, 0, 0, time.UTC), Operator: "alice", Vigil: "1.2.3",
			Subject:  certify.Subject{Keys: []string{"email"}, Hash: strings.Repeat("ab", 32), Salt: "0123456789abcdef"},
			Complete: true, Key: "feedfacecafebeef", Signature: "c2lnbmF0dXJl", Chain: certify.Chain{Seq: 3, Prev: strings.Repeat("cd", 32)},
			Sources: []certify.Source{
				{Name: "clinic", Type: "postgres", Outcome: certify.Erased, Verified: true, Tables: []certify.TableAction{
					{Table: "visits", Action: certify.Deleted, Rows: 4}, {Table: "invoices", Action: certify.Anonymised, Rows: 2, Columns: []string{"payer_iban"}}}},
				{Name: "shares", Type: "files", Outcome: certify.Erased, Verified: true, Files: []certify.FileAction{{Path: "exports/patients.csv", Action: certify.Rewritten, Removed: 1}}},
			}},
			[]string{"Erasure certificate", "0a1b2c3d4e5f6071", "alice", "clinic (postgres): erased", "visits", "anonymised (payer_iban)", "exports/patients.csv", "entry 3", "feedfacecafebeef", "Could not be erased", "Nothing."}},
		{"rolled back", certify.Certificate{
			ID: "1111111111111111", Issued: time.Date(2026, 12, 7, 22, 30, 0, 0, time.UTC), Operator: "bob",
			Sources:   []certify.Source{{Name: "clinic", Type: "mysql", Outcome: certify.RolledBack, Error: "the transaction was rolled back"}},
			NotErased: []certify.NotErased{{Source: "backups", Where: "nightly dump", Reason: "kept in backups", Expires: "2027-01-07"}}},
			[]string{"NOT complete", "clinic (mysql): rolled-back", "NOT verified", "rolled back", "nightly dump", "2027-01-07"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := ErasureCertificatePDF(&b, &tt.cert); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
				t.Fatal("not a PDF")
			}
			text := oneLine(pdfText(t, b.Bytes()))
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("the PDF does not say %q:\n%s", w, text)
				}
			}
		})
	}
}
