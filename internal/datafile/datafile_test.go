package datafile

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/goregular"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		name, head, want string
	}{
		{"a/b.CSV", "", CSV},
		{"x.tsv", "", CSV},
		{"x.xlsx", "PK\x03\x04", XLSX},
		{"x.pdf", "", PDF},
		{"scan", "%PDF-1.7\n", PDF},
		{"m.eml", "", EML},
		{"inbox", "From a@b Thu Jan  1 00:00:00 2026\n", Mbox},
		{"notes.txt", "", Text},
		{"README", "plain words\n", Text},
		{"blob", "\x00\x01\x02", ""},
		{"photo.jpg", "\xff\xd8\xff", ""},
		{"archive", "PK\x03\x04", ""},
	} {
		if got := KindOf(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("KindOf(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestReadCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     [][]string
	}{
		{"comma", "name,email\nAda,ada@example.org\n", [][]string{{"name", "email"}, {"Ada", "ada@example.org"}}},
		{"bom and semicolons", "\xef\xbb\xbfname;email\nAda;a@b.org\n", [][]string{{"name", "email"}, {"Ada", "a@b.org"}}},
		{"tabs", "a\tb\n1\t2\n", [][]string{{"a", "b"}, {"1", "2"}}},
		{"ragged and lazy quotes", "a,b\n1\n2,x\"y,3\n", [][]string{{"a", "b"}, {"1"}, {"2", "x\"y", "3"}}},
	} {
		got, err := ReadCSV([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestReadMessageAndMbox(t *testing.T) {
	eml := "From: Ada Lovelace <ada@example.org>\r\nTo: clinic@example.org\r\nSubject: =?UTF-8?Q?R=C3=A9sultats?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSSN 123-45-=\r\n6789 diab=C3=A8te\r\n--XX\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+SUJBTjwvYj4g\r\nREU4OQ==\r\n--XX\r\nContent-Type: image/png\r\n\r\nNOTTEXT\r\n--XX--\r\n"
	m, err := ReadMessage([]byte(eml))
	if err != nil {
		t.Fatal(err)
	}
	txt := m.Text()
	for _, want := range []string{"From: Ada Lovelace <ada@example.org>", "Subject: Résultats", "SSN 123-45-6789 diabète", " IBAN  DE89"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "NOTTEXT") {
		t.Error("an image part was read as text")
	}
	mbox := "From a@b Thu Jan  1 00:00:00 2026\nFrom: a@example.org\nSubject: one\n\nbody one\n>From here\n\nFrom b@c Thu Jan  1 00:00:00 2026\nFrom: b@example.org\nSubject: two\n\nbody two\nFrom inside a paragraph is not a start\n"
	msgs := SplitMbox([]byte(mbox))
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if !bytes.Contains(msgs[0].Bytes, []byte("\nFrom here")) || bytes.HasPrefix(msgs[0].Bytes, []byte("From a@b")) {
		t.Errorf("first message: %q", msgs[0].Bytes)
	}
	if mbox[msgs[1].Start:msgs[1].End] != mbox[strings.Index(mbox, "From b@c"):] {
		t.Errorf("offsets %d-%d", msgs[1].Start, msgs[1].End)
	}
	c, err := Extract(Mbox, []byte(mbox))
	if err != nil || c.Messages != 2 || !strings.Contains(c.Text, "b@example.org") {
		t.Errorf("Extract(mbox) = %+v, %v", c, err)
	}
}

// xlsxOf builds a minimal workbook: shared strings and one sheet whose
// cells are given as (ref, type, value) in rows.
func xlsxOf(t testing.TB, shared []string, rows [][][3]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("xl/sharedStrings.xml")
	fmt.Fprint(w, `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, s := range shared {
		fmt.Fprintf(w, "<si><t>%s</t></si>", s)
	}
	fmt.Fprint(w, `</sst>`)
	w, _ = zw.Create("xl/worksheets/sheet1.xml")
	fmt.Fprint(w, `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i, r := range rows {
		fmt.Fprintf(w, `<row r="%d">`, i+1)
		for _, c := range r {
			if c[1] == "inlineStr" {
				fmt.Fprintf(w, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, c[0], c[2])
			} else {
				fmt.Fprintf(w, `<c r="%s" t="%s"><v>%s</v></c>`, c[0], c[1], c[2])
			}
		}
		fmt.Fprint(w, `</row>`)
	}
	fmt.Fprint(w, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadXLSX(t *testing.T) {
	b := xlsxOf(t, []string{"name", "iban", "Ada Lovelace"}, [][][3]string{
		{{"A1", "s", "0"}, {"C1", "s", "1"}},
		{{"A2", "s", "2"}, {"C2", "inlineStr", "DE89370400440532013000"}, {"D2", "n", "42"}},
		{{"A3", "s", "99"}},
	})
	sheets, err := ReadXLSX(b)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"name", "", "iban"}, {"Ada Lovelace", "", "DE89370400440532013000", "42"}, {""}}
	if len(sheets) != 1 || fmt.Sprint(sheets[0]) != fmt.Sprint(want) {
		t.Errorf("sheets = %q, want %q", sheets, want)
	}
	if _, err := ReadXLSX([]byte("PK\x03\x04junk")); err == nil {
		t.Error("a damaged ZIP was read")
	}
}

func TestColumnOf(t *testing.T) {
	for ref, want := range map[string]int{"A1": 0, "Z9": 25, "AA10": 26, "ab3": 27} {
		if got, ok := columnOf(ref); !ok || got != want {
			t.Errorf("columnOf(%s) = %d %v, want %d", ref, got, ok, want)
		}
	}
	if _, ok := columnOf("12"); ok {
		t.Error("a reference without letters was read")
	}
}

// gopdfWith writes lines with gopdf and the Go font, as the lab does.
func gopdfWith(t testing.TB, lines []string) []byte {
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

func TestPDFTextGopdf(t *testing.T) {
	lines := []string{"Patient: Ada Lovelace", "SSN 123-45-6789, IBAN DE89 3704 0044 0532 0130 00", "Diagnose: E11.9 – diabète"}
	txt, err := PDFText(gopdfWith(t, lines))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if !strings.Contains(txt, l) {
			t.Errorf("text lacks %q:\n%s", l, txt)
		}
	}
}

func TestPDFTextPlain(t *testing.T) {
	content := "BT /F1 12 Tf 72 700 Td (Hello \\(World\\)) Tj ET\nBT [(A)-300(B)] TJ ET\nBT <48692E> Tj ET"
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(content))
	zw.Close()
	pdf := "%PDF-1.4\n1 0 obj\n<< /Length " + fmt.Sprint(z.Len()) + " /Filter /FlateDecode >>\nstream\n" + z.String() + "\nendstream\nendobj\n2 0 obj\n<< /Length 10 >>\nstream\nBT (Raw) Tj ET\nendstream\nendobj\n%%EOF\n"
	txt, err := PDFText([]byte(pdf))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(strings.ReplaceAll(txt, "\n", " | "))
	want := []string{"Hello", "(World)", "|", "A", "B", "|", "Hi.", "|", "Raw", "|"}
	if !slices.Equal(got, want) {
		t.Errorf("text = %q, want %q", got, want)
	}
	if _, err := PDFText([]byte("%PDF-1.4\n/Encrypt 5 0 R\n")); err == nil {
		t.Error("an encrypted PDF was read")
	}
	if _, err := PDFText([]byte("hello")); err == nil {
		t.Error("a non-PDF was read")
	}
}

func TestPDFInflateBomb(t *testing.T) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(bytes.Repeat([]byte("BT (x) Tj ET\n"), (MaxInflate/13)+100))
	zw.Close()
	pdf := "%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n" + z.String() + "\nendstream\nendobj\n"
	if _, err := PDFText([]byte(pdf)); err == nil {
		t.Error("a stream inflating beyond MaxInflate was read")
	}
}
