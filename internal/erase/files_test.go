package erase

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/datamap"
)

// pdfWith writes lines with gopdf and the Go font.
func pdfWith(t *testing.T, lines ...string) []byte {
	t.Helper()
	pdf := gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	pdf.AddPage()
	if err := pdf.AddTTFFontData("go", goregular.TTF); err != nil {
		t.Fatal(err)
	}
	if err := pdf.SetFont("go", "", 11); err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		pdf.SetXY(40, 40+float64(i)*16)
		if err := pdf.Cell(nil, l); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := pdf.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xlsxWith builds a one-sheet workbook of inline strings.
func xlsxWith(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	fmt.Fprint(w, `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i, r := range rows {
		fmt.Fprintf(w, `<row r="%d">`, i+1)
		for j, c := range r {
			fmt.Fprintf(w, `<c r="%c%d" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+j, i+1, c)
		}
		fmt.Fprint(w, `</row>`)
	}
	fmt.Fprint(w, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFileSource(t *testing.T) {
	const subject = "ann.lee@example.org"
	tests := []struct {
		name    string
		file    string
		data    func(t *testing.T) []byte
		action  string // "" when not changed
		removed int64
		after   string // the file's content after, when rewritten
		listed  string // a reason the file is listed as not erased
	}{
		{"csv row", "a.csv", func(*testing.T) []byte { return []byte("id,email\n1,Ann.Lee@example.org\n2,bo@example.org\n") },
			certify.Rewritten, 1, "id,email\n2,bo@example.org\n", ""},
		{"csv look-alike kept", "b.csv", func(*testing.T) []byte { return []byte("id,email\n1,xann.lee@example.org\n") }, "", 0, "", ""},
		{"text lines", "n.txt", func(*testing.T) []byte {
			return []byte("call ann.lee@example.org back\nnothing here\nmail ann.lee@example.org.\n")
		}, certify.Rewritten, 2, "nothing here\n", ""},
		{"mbox message", "m.mbox", func(*testing.T) []byte {
			return []byte("From a@b Mon Nov  3 09:00:00 2025\nFrom: <" + subject + ">\n\nhello\n\nFrom c@d Mon Nov  3 10:00:00 2025\nFrom: <bo@example.org>\n\nFrom the start\n")
		}, certify.Rewritten, 1, "From c@d Mon Nov  3 10:00:00 2025\nFrom: <bo@example.org>\n\nFrom the start\n", ""},
		{"eml", "x.eml", func(*testing.T) []byte { return []byte("From: <" + subject + ">\nSubject: results\n\nhello\n") }, certify.Deleted, 0, "", ""},
		{"pdf of the subject alone", "letter.pdf", func(t *testing.T) []byte {
			return pdfWith(t, "Dear Ann Lee,", "we write to "+subject+" about your appointment.")
		}, certify.Deleted, 0, "", ""},
		{"pdf of two people", "list.pdf", func(t *testing.T) []byte {
			return pdfWith(t, "Patients:", subject, "bo.kim@example.org")
		}, "", 0, "", "other people's data"},
		{"xlsx of the subject alone", "one.xlsx", func(t *testing.T) []byte {
			return xlsxWith(t, []string{"name", "email"}, []string{"Ann Lee", subject})
		}, certify.Deleted, 0, "", ""},
		{"xlsx of two people", "two.xlsx", func(t *testing.T) []byte {
			return xlsxWith(t, []string{"name", "email"}, []string{"Ann Lee", subject}, []string{"Bo Kim", "bo.kim@example.org"})
		}, "", 0, "", "other people's data"},
		{"pdf without the subject", "other.pdf", func(t *testing.T) []byte { return pdfWith(t, "bo.kim@example.org") }, "", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, tt.file)
			orig := tt.data(t)
			if err := os.WriteFile(p, orig, 0o640); err != nil {
				t.Fatal(err)
			}
			j, err := NewFileJob(&datamap.Source{Name: "share", Type: datamap.Files, Path: dir}, []string{subject})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			if err := j.Plan(t.Context()); err != nil {
				t.Fatal(err)
			}
			if tt.listed != "" {
				if len(j.NotErased) != 1 || !strings.Contains(j.NotErased[0].Reason, tt.listed) || len(j.Found) != 0 {
					t.Fatalf("plan: found %+v, not erased %+v; want it listed (%s)", j.Found, j.NotErased, tt.listed)
				}
			} else if tt.action == "" {
				if len(j.Found) != 0 || len(j.NotErased) != 0 {
					t.Fatalf("plan: found %+v, not erased %+v; want nothing", j.Found, j.NotErased)
				}
			} else if len(j.Found) != 1 || j.Found[0].Action != tt.action || j.Found[0].Removed != tt.removed {
				t.Fatalf("plan: %+v, want %s removing %d", j.Found, tt.action, tt.removed)
			}
			src := j.Run(t.Context())
			data, err := os.ReadFile(p)
			switch {
			case tt.action == certify.Deleted:
				if !os.IsNotExist(err) {
					t.Errorf("the file is still there (%v)", err)
				}
			case tt.action == certify.Rewritten:
				if string(data) != tt.after {
					t.Errorf("after:\n%q\nwant\n%q", data, tt.after)
				}
				if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
					t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
				}
			default:
				if !bytes.Equal(data, orig) {
					t.Error("a file that is not erased was changed")
				}
			}
			if tt.listed != "" && (src.Outcome != certify.Incomplete || src.Verified) {
				t.Errorf("source %+v; want incomplete, not verified", src)
			}
			if tt.action != "" && (src.Outcome != certify.Erased || !src.Verified) {
				t.Errorf("source %+v; want erased and verified", src)
			}
			// No temporary file is left behind.
			if ents, _ := os.ReadDir(dir); len(ents) > 1 {
				t.Errorf("files left: %v", ents)
			}
		})
	}
}

// TestFileSourceStaysInside: a symbolic link out of the directory is
// neither followed nor changed.
func TestFileSourceStaysInside(t *testing.T) {
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim.csv")
	if err := os.WriteFile(victim, []byte("email\nann.lee@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(victim, filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	j, err := NewFileJob(&datamap.Source{Name: "share", Type: datamap.Files, Path: dir}, []string{"ann.lee@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Plan(t.Context()); err != nil {
		t.Fatal(err)
	}
	j.Run(t.Context())
	if data, _ := os.ReadFile(victim); !strings.Contains(string(data), "ann.lee") {
		t.Error("a file outside the source's directory was changed through a link")
	}
	if len(j.Found) != 0 {
		t.Errorf("found through a link: %+v", j.Found)
	}
}

func FuzzRewrite(f *testing.F) {
	f.Add([]byte("id,email\n1,a@b.org\n2,c@d.org\n"), "a@b.org")
	f.Add([]byte("From x\nFrom: a@b.org\n\nhi\n\nFrom y\n\nho\n"), "A@B.ORG")
	f.Add([]byte("\"unterminated,a@b.org\n"), "a@b.org")
	f.Fuzz(func(t *testing.T, data []byte, value string) {
		if strings.ContainsFunc(value, unicode.IsControl) {
			// NewFileJob refuses such identifiers: a line break in one
			// would let it span the lines and messages erased one by one.
			if _, err := NewFileJob(&datamap.Source{Name: "share", Type: datamap.Files, Path: t.TempDir()}, []string{value}); err == nil {
				t.Fatalf("NewFileJob accepted the identifier %q", value)
			}
			return
		}
		values := []string{value}
		if out, _, err := rewriteCSV(data, values); err == nil {
			// Rewriting is idempotent: nothing of the subject is left
			// for a second pass.
			if again, n, err := rewriteCSV(out, values); err != nil || n != 0 || !bytes.Equal(again, out) {
				t.Fatalf("rewriting a rewritten CSV removed %d more (%v)", n, err)
			}
		}
		out, _ := rewriteLines(data, values)
		if strings.TrimSpace(value) != "" && holds(out, values) {
			t.Fatal("a line holding the value is left")
		}
		mb, _ := rewriteMbox(data, values)
		if len(mb) > len(data) {
			t.Fatal("the mbox grew")
		}
		if strings.TrimSpace(value) != "" && holds(mb, values) {
			t.Fatal("a message holding the value is left")
		}
	})
}
