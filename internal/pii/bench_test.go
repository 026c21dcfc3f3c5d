package pii_test

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/pii"
	"github.com/vigilsec/vigil/internal/pii/gen"
)

// BenchmarkScanText measures ScanText's throughput on the generator's
// letters, e-mails and notes (go test -bench ScanText ./internal/pii/).
func BenchmarkScanText(b *testing.B) {
	var sb strings.Builder
	for seed := uint64(1); sb.Len() < 1<<20; seed++ {
		for _, f := range gen.Clinic(seed, 20).Files {
			if f.Kind == "text" {
				sb.WriteString(f.Content)
			}
		}
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		pii.ScanText(text)
	}
}

// BenchmarkClassifyColumn measures ClassifyColumn on 200 samples.
func BenchmarkClassifyColumn(b *testing.B) {
	ds := gen.Clinic(1, 200)
	tb := ds.Tables[0]
	cols := make([][]string, len(tb.Columns))
	for c := range tb.Columns {
		cols[c] = tb.Column(c)
	}
	b.ResetTimer()
	for b.Loop() {
		for c, name := range tb.Columns {
			pii.ClassifyColumn(name, cols[c])
		}
	}
}
