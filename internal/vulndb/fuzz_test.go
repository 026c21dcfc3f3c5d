package vulndb

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seeds adds the real fixture files matching pattern to f's corpus.
func seeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
}

// The parsers read files another party publishes: any input ends in a
// record or an error, never a panic, and what they keep is bounded.
func FuzzParseOSV(f *testing.F) {
	seeds(f, "testdata/osv-debian/*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseOSV(b)
		if err == nil && (r.ID == "" || len(r.ID) > 256) {
			t.Fatalf("record without a sane id: %q", r.ID)
		}
	})
}

func FuzzParseNVD(f *testing.F) {
	seeds(f, "testdata/nvd/CVE-*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseNVD(b)
		if err != nil {
			return
		}
		if !strings.HasPrefix(r.ID, "CVE-") || r.Score < 0 || r.Score > 10 {
			t.Fatalf("record %q score %v", r.ID, r.Score)
		}
		for _, c := range r.CPEs {
			if c.Vendor == "" || c.Product == "" {
				t.Fatalf("CPE without vendor or product: %+v", c)
			}
		}
	})
}

func FuzzParseKEV(f *testing.F) {
	seeds(f, "testdata/kev/*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, _, err := ParseKEV(b)
		for _, e := range entries {
			if err != nil || !strings.HasPrefix(e.CVE, "CVE-") || len(e.Added) != 10 {
				t.Fatalf("entry %+v (err %v)", e, err)
			}
		}
	})
}

func FuzzParseEPSS(f *testing.F) {
	seeds(f, "testdata/epss/*.csv")
	f.Add([]byte("cve,epss,percentile\nCVE-1,2,x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseEPSS(bytes.NewReader(b), func(s EPSSScore) error {
			if s.Score < 0 || s.Score > 1 || !strings.HasPrefix(s.CVE, "CVE-") {
				t.Fatalf("score %+v", s)
			}
			return nil
		})
	})
}

func FuzzParseCPE(f *testing.F) {
	for _, s := range []string{"cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*", "cpe:2.3:a:x\\:y:z:*:*:*:*:*:*:*:*", "cpe:2.3:o:debian:debian_linux:12.0:*:*:*:*:*:*:*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		part, vendor, product, version, update, ok := parseCPE(s)
		if ok && (vendor == "" || product == "" || part == "") {
			t.Fatalf("%q: part %q vendor %q product %q", s, part, vendor, product)
		}
		if version != "" && update != "" {
			t.Fatalf("%q: both an exact version %q and a range update %q", s, version, update)
		}
	})
}
