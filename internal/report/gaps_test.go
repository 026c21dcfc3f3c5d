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
