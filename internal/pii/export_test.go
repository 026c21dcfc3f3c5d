package pii

import "time"

// ColumnScore is a column's evidence for one category, for the evaluation
// in eval_test.go.
type ColumnScore struct {
	Category Category
	Share    float64
	Named    bool
	Eligible bool
}

// ColumnScores exposes columnScores to the external test package.
func ColumnScores(name string, samples []string, now time.Time) []ColumnScore {
	var out []ColumnScore
	for _, s := range columnScores(name, samples, now) {
		out = append(out, ColumnScore{s.cat, s.share(), s.named, s.eligible})
	}
	return out
}
