package pii_test

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/pii"
	"github.com/vigilsec/vigil/internal/pii/gen"
)

// The evaluation corpus: evalSets synthetic clinics of evalPatients patients
// each, from seeds 1…evalSets. Every column and every file is a unit.
const (
	evalSets     = 40
	evalPatients = 150
	minFigure    = 0.95
)

// corpus is the evaluation corpus, generated once for the tests that share
// it.
var corpus = sync.OnceValue(func() []*gen.Dataset {
	var out []*gen.Dataset
	for seed := uint64(1); seed <= evalSets; seed++ {
		out = append(out, gen.Clinic(seed, evalPatients))
	}
	return out
})

// tally counts true positives, false positives and false negatives of one
// category.
type tally struct{ tp, fp, fn int }

func (t tally) precision() float64 {
	if t.tp+t.fp == 0 {
		return 1
	}
	return float64(t.tp) / float64(t.tp+t.fp)
}

func (t tally) recall() float64 {
	if t.tp+t.fn == 0 {
		return 1
	}
	return float64(t.tp) / float64(t.tp+t.fn)
}

// evaluation classifies one unit and records the outcome.
type evaluation struct {
	t      map[pii.Category]*tally
	errors []string
}

func newEvaluation() *evaluation {
	e := &evaluation{t: map[pii.Category]*tally{}}
	for _, c := range pii.Categories() {
		e.t[c] = &tally{}
	}
	return e
}

func (e *evaluation) record(unit string, truth []pii.Category, got []pii.Match) {
	var gotCats []pii.Category
	for _, m := range got {
		gotCats = append(gotCats, m.Category)
	}
	for _, c := range pii.Categories() {
		want, have := slices.Contains(truth, c), slices.Contains(gotCats, c)
		switch {
		case want && have:
			e.t[c].tp++
		case have:
			e.t[c].fp++
			e.errors = append(e.errors, fmt.Sprintf("false %s: %s", c, unit))
		case want:
			e.t[c].fn++
			e.errors = append(e.errors, fmt.Sprintf("missed %s: %s", c, unit))
		}
	}
}

func (e *evaluation) report(t *testing.T, what string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: precision and recall per category\n", what)
	fmt.Fprintf(&b, "%-15s %6s %6s %6s %9s %7s\n", "category", "TP", "FP", "FN", "precision", "recall")
	for _, c := range pii.Categories() {
		x := e.t[c]
		fmt.Fprintf(&b, "%-15s %6d %6d %6d %9.3f %7.3f\n", c, x.tp, x.fp, x.fn, x.precision(), x.recall())
	}
	t.Log("\n" + b.String())
	for i, s := range e.errors {
		if i == 20 {
			t.Logf("… %d more", len(e.errors)-20)
			break
		}
		t.Log(s)
	}
	for _, c := range pii.Categories() {
		x := e.t[c]
		if x.precision() < minFigure || x.recall() < minFigure {
			t.Errorf("%s, %s: precision %.3f, recall %.3f; want both ≥ %.2f", what, c, x.precision(), x.recall(), minFigure)
		}
	}
}

// TestDiscoveryPrecisionRecall runs the classifiers over the generator's
// output and compares with its ground truth (go test -v shows the figures;
// docs/data-discovery.md records them).
func TestDiscoveryPrecisionRecall(t *testing.T) {
	cols, files := newEvaluation(), newEvaluation()
	for i, ds := range corpus() {
		seed := i + 1
		for _, tb := range ds.Tables {
			for c, name := range tb.Columns {
				unit := fmt.Sprintf("seed %d %s.%s", seed, tb.Name, name)
				cols.record(unit, ds.Truth[tb.Name+"."+name], pii.ClassifyColumn(name, tb.Column(c)))
			}
		}
		for _, f := range ds.Files {
			unit := fmt.Sprintf("seed %d %s", seed, f.Path)
			var got []pii.Match
			switch f.Kind {
			case "csv":
				recs, err := csv.NewReader(strings.NewReader(f.Content)).ReadAll()
				if err != nil {
					t.Fatalf("%s: %v", unit, err)
				}
				got = pii.ClassifyRecords(recs)
			default:
				got = pii.ClassifyText(f.Content)
			}
			files.record(unit, ds.Truth[f.Path], got)
		}
	}
	cols.report(t, fmt.Sprintf("columns (%d data sets)", evalSets))
	files.report(t, fmt.Sprintf("files (%d data sets)", evalSets))
}

// TestThresholdMargins prints, per category, the lowest share of valid
// values among the columns that hold it and the highest among those that do
// not, with and without a name hint: the data the thresholds were chosen
// from. It asserts that no column without the category reaches its
// threshold (recall is TestDiscoveryPrecisionRecall's).
func TestThresholdMargins(t *testing.T) {
	type margin struct{ minTrue, maxFalse float64 }
	m := map[pii.Category]*[2]margin{} // [unnamed, named]
	for _, c := range pii.Categories() {
		m[c] = &[2]margin{{2, -1}, {2, -1}}
	}
	now := time.Now()
	for _, ds := range corpus() {
		for _, tb := range ds.Tables {
			for c, name := range tb.Columns {
				truth := ds.Truth[tb.Name+"."+name]
				for _, s := range pii.ColumnScores(name, tb.Column(c), now) {
					k := 0
					if s.Named {
						k = 1
					}
					x := &m[s.Category][k]
					if slices.Contains(truth, s.Category) {
						x.minTrue = min(x.minTrue, s.Share)
					} else if s.Eligible {
						x.maxFalse = max(x.maxFalse, s.Share)
					}
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-15s %22s %22s\n", "category", "no hint: true≥ false≤", "hint: true≥ false≤")
	f := func(v float64) string {
		if v > 1 || v < 0 {
			return "   -"
		}
		return fmt.Sprintf("%.2f", v)
	}
	for _, c := range pii.Categories() {
		x := m[c]
		fmt.Fprintf(&b, "%-15s %16s %5s %16s %5s\n", c, f(x[0].minTrue), f(x[0].maxFalse), f(x[1].minTrue), f(x[1].maxFalse))
	}
	t.Log("\n" + b.String())
	for _, c := range pii.Categories() {
		if x := m[c]; x[0].maxFalse >= pii.ThresholdValues || x[1].maxFalse >= pii.ThresholdWithHint {
			t.Errorf("%s: a column without it reaches the threshold (%.2f without hint, %.2f with)", c, x[0].maxFalse, x[1].maxFalse)
		}
	}
}
