package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/result"
)

// TestEveryFormatSaysWhatWasNotExamined: what a scan did not examine, on
// every host and on one, appears in every format.
func TestEveryFormatSaysWhatWasNotExamined(t *testing.T) {
	doc := fixture()
	doc.NoteGap(result.Gap{What: "UDP was not probed (--udp-ports was empty)"})
	doc.Hosts[1].NotExamined = append(doc.Hosts[1].NotExamined, result.Gap{Port: 2222, Transport: "tcp", What: "ssh audit did not complete: timeout after 3s"})
	for _, name := range Formats() {
		w, err := New(name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := w.Write(&b, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := b.String()
		if name == "pdf" {
			out = pdfText(t, b.Bytes())
		}
		out = strings.Join(strings.Fields(out), " ") // PDF and tables wrap lines
		for _, want := range []string{"UDP was not probed", "ssh audit did not complete: timeout after 3s"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s does not say %q", name, want)
			}
		}
	}
}

// TestEveryFormatSaysWhoRanIt: the run (who, from where, with which build)
// and the times of day are in every format.
func TestEveryFormatSaysWhoRanIt(t *testing.T) {
	doc := fixture()
	doc.Run = &result.Run{Operator: "alice", Organisation: "Clinic", Scanner: result.Scanner{Host: "scanbox", Addresses: []string{"127.0.0.1"}},
		Version: "1.2.3", Revision: "0123456789abcdef0123456789abcdef01234567", Options: map[string]any{"ports": "1-65535"}}
	for _, name := range Formats() {
		if name == "csv" {
			continue // one row per finding: the run is the scan's, not a finding's
		}
		w, _ := New(name, Options{})
		var b bytes.Buffer
		if err := w.Write(&b, doc); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if name == "pdf" {
			out = pdfText(t, b.Bytes())
		}
		out = strings.Join(strings.Fields(out), " ")
		for _, want := range []string{"alice", "scanbox", "0123456789ab", "19:03:33"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
}

// TestPDFHyphensAreHyphens: text copied out of the PDF has the hyphens
// the evidence has (U+002D), so commands and algorithm names paste as
// they are.
func TestPDFHyphensAreHyphens(t *testing.T) {
	var b bytes.Buffer
	if err := (PDF{}).Write(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b.Bytes())
	for _, want := range []string{"3des-cbc, aes128-cbc", "ssh.cipher.weak", "127.0.2.10-14"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	for _, r := range []rune{'\u2010', '\u2011', '\u00ad', '\u2212'} {
		if strings.ContainsRune(text, r) {
			t.Errorf("the PDF's text holds %U where a hyphen was written", r)
		}
	}
}
