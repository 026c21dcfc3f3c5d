package gen

import (
	"encoding/csv"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/pii"
)

// The identifiers are computed here and validated by package pii: each
// implementation checks the other.
func TestIdentifiersValidate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		checks := []struct {
			kind  string
			v     string
			valid func(string) bool
			want  bool
		}{
			{"ssn", ssn(r), pii.IsSSN, true},
			{"bad ssn", badSSN(r), pii.IsSSN, false},
			{"nir", nir(r, 1+r.IntN(2), 1930+r.IntN(90), 1+r.IntN(12)), pii.IsNIR, true},
			{"bad nir", badNIR(r, 1+r.IntN(2), 1930+r.IntN(90), 1+r.IntN(12)), pii.IsNIR, false},
			{"nino", nino(r), pii.IsNINO, true},
			{"bad nino", badNINO(r), pii.IsNINO, false},
			{"steuer", steuerID(r), pii.IsSteuerID, true},
			{"bad steuer", badSteuerID(r), pii.IsSteuerID, false},
			{"iban", iban(r, []string{"DE", "FR", "GB", "ES", "IT", "NL", "BE"}[r.IntN(7)], r.IntN(2) == 0), pii.IsIBAN, true},
			{"bad iban", badIBAN(r, []string{"DE", "FR", "GB"}[r.IntN(3)], r.IntN(2) == 0), pii.IsIBAN, false},
			{"card", card(r, r.IntN(2) == 0), pii.IsPaymentCard, true},
			{"bad card", badCard(r, r.IntN(2) == 0), pii.IsPaymentCard, false},
		}
		for _, c := range checks {
			if c.valid(c.v) != c.want {
				t.Fatalf("%s %q: valid = %v, want %v", c.kind, c.v, !c.want, c.want)
			}
		}
	}
}

func TestClinicDeterministic(t *testing.T) {
	a, b := Clinic(7, 50), Clinic(7, 50)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave two different data sets")
	}
	if c := Clinic(8, 50); reflect.DeepEqual(a.Tables, c.Tables) {
		t.Error("two seeds gave the same tables")
	}
}

func TestClinicShape(t *testing.T) {
	ds := Clinic(3, 40)
	want := []string{"patients", "visits", "invoices", "staff", "inventory", "legacy_import"}
	var got []string
	for _, tb := range ds.Tables {
		got = append(got, tb.Name)
		for i, r := range tb.Rows {
			if len(r) != len(tb.Columns) {
				t.Fatalf("%s row %d has %d values for %d columns", tb.Name, i, len(r), len(tb.Columns))
			}
		}
		for _, c := range tb.Columns {
			if _, ok := ds.Truth[tb.Name+"."+c]; !ok {
				t.Errorf("no ground truth for %s.%s", tb.Name, c)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tables %v, want %v", got, want)
	}
	if n := len(ds.Tables[0].Rows); n != 40 {
		t.Errorf("%d patients, want 40", n)
	}
	for _, f := range ds.Files {
		if _, ok := ds.Truth[f.Path]; !ok {
			t.Errorf("no ground truth for %s", f.Path)
		}
		if f.Kind == "csv" {
			if _, err := csv.NewReader(strings.NewReader(f.Content)).ReadAll(); err != nil {
				t.Errorf("%s: %v", f.Path, err)
			}
		}
	}
	// Every decoy column is empty of categories, and fails its validator.
	var legacy Table
	for _, tb := range ds.Tables {
		if tb.Name == "legacy_import" {
			legacy = tb
		}
	}
	for c, name := range legacy.Columns {
		if len(ds.Truth["legacy_import."+name]) != 0 {
			t.Errorf("decoy column %s has categories %v", name, ds.Truth["legacy_import."+name])
		}
		for _, v := range legacy.Column(c) {
			if pii.IsSSN(v) || pii.IsIBAN(v) || pii.IsPaymentCard(v) || pii.IsNIR(v) || pii.IsNINO(v) || pii.IsSteuerID(v) {
				if !strings.HasPrefix(name, "batch") && !strings.HasPrefix(name, "order") {
					t.Errorf("decoy %s = %q validates", name, v)
				}
			}
		}
	}
}

func TestClinicSeedsCoverCategories(t *testing.T) {
	seen := map[pii.Category]int{}
	for _, cs := range Clinic(11, 30).Truth {
		for _, c := range cs {
			seen[c]++
		}
	}
	for _, c := range pii.Categories() {
		if seen[c] == 0 {
			t.Errorf("no column or file holds %s", c)
		}
	}
}
