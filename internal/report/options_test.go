package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestComplianceOption: a compliance assessment is a report option; the
// formats that carry each finding's controls already refuse it.
func TestComplianceOption(t *testing.T) {
	a := fixtureAssessment(t)
	doc := fixture()
	for _, name := range Formats() {
		w, err := New(name, Options{Compliance: a})
		can := strings.Contains(" "+strings.Join(ComplianceFormats(), " ")+" ", " "+name+" ")
		if can != (err == nil) {
			t.Errorf("%s: New with an assessment gave error %v, but ComplianceFormats says %v", name, err, can)
		}
		if err != nil || name == "pdf" || name == "html" {
			continue
		}
		var with, without bytes.Buffer
		if err := w.Write(&with, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		plain, _ := New(name, Options{})
		if err := plain.Write(&without, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Equal(with.Bytes(), without.Bytes()) {
			t.Errorf("%s: the assessment changed nothing in the output", name)
		}
	}
	var b bytes.Buffer
	w, _ := New("json", Options{Compliance: a})
	if err := w.Write(&b, doc); err != nil || !strings.Contains(b.String(), "vigil/compliance/v1") {
		t.Errorf("json with an assessment is not the vigil/compliance/v1 document (%v): %.200s", err, b.String())
	}
}
